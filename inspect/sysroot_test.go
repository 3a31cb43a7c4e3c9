package inspect

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/elfx/elfx/fixtures"
)

// TestSysroot resolves a program inside a sysroot whose directories are
// reached through absolute symbolic links (which must resolve inside the
// root) and whose libraries are found through its ld.so.conf. Without an
// ld.so.cache elfx predicts what the loader will do once ldconfig has run;
// the test then runs ldconfig -r and the real loader under chroot and
// compares.
func TestSysroot(t *testing.T) {
	if runtime.GOARCH != "amd64" || os.Geteuid() != 0 {
		t.Skip("needs root (chroot, ldconfig -r) on x86-64")
	}
	for _, tool := range []string{"chroot", "ldconfig"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	set := fixtures.Build(t)
	root := t.TempDir()
	mkdir := func(p string) {
		if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	symlink := func(target, p string) {
		if err := os.Symlink(target, filepath.Join(root, p)); err != nil {
			t.Fatal(err)
		}
	}
	copyFile := func(src, dst string) {
		in, err := os.Open(src)
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		out, err := os.OpenFile(filepath.Join(root, dst), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		if _, err := io.Copy(out, in); err != nil {
			t.Fatal(err)
		}
	}
	// Merged /usr with absolute links: on this machine they would point
	// outside the root.
	mkdir("usr/lib/x86_64-linux-gnu")
	mkdir("etc")
	mkdir("opt/app")
	mkdir("opt/extra")
	symlink("/usr/lib", "lib")
	mkdir("lib64")
	symlink("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "lib64/ld-linux-x86-64.so.2")
	copyFile("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
	copyFile("/lib/x86_64-linux-gnu/libc.so.6", "usr/lib/x86_64-linux-gnu/libc.so.6")
	for _, fx := range set.Fixtures {
		if fx.Machine == "x86_64" && fx.Kind == "dyn" && !strings.Contains(fx.Name, "-") {
			copyFile(fx.Path, filepath.Join("opt/extra", filepath.Base(fx.Path)))
		}
	}
	// libvis.so only in a default directory of the target, which this
	// machine does not have: found only if /lib resolves inside the root.
	if err := os.Rename(filepath.Join(root, "opt/extra/libvis.so"), filepath.Join(root, "usr/lib/x86_64-linux-gnu/libvis.so")); err != nil {
		t.Fatal(err)
	}
	copyFile(set.Require(t, "prog").Path, "opt/app/prog")
	if err := os.WriteFile(filepath.Join(root, "etc/ld.so.conf"), []byte("include /etc/ld.so.conf.d/*.conf\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mkdir("etc/ld.so.conf.d")
	if err := os.WriteFile(filepath.Join(root, "etc/ld.so.conf.d/extra.conf"), []byte("/opt/extra\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	lm, err := Resolve(filepath.Join(root, "opt/app/prog"), Config{Root: root, NoPreloadFile: true})
	if err != nil {
		t.Fatal(err)
	}
	got := lddStdout(lm)
	t.Logf("elfx from ld.so.conf:\n%s", strings.Join(got, "\n"))
	for _, o := range lm.Objects[1:] {
		if strings.HasPrefix(o.Path, root) {
			t.Errorf("%s resolved to %s, a path of this machine, not of the target", o.Name, o.Path)
		}
	}

	if out, err := exec.Command("ldconfig", "-r", root).CombinedOutput(); err != nil {
		t.Fatalf("ldconfig -r: %v\n%s", err, out)
	}
	out, err := exec.Command("chroot", root, "/lib64/ld-linux-x86-64.so.2", "--list", "/opt/app/prog").Output()
	if err != nil {
		t.Fatalf("the loader under chroot: %v\n%s", err, out)
	}
	want := loaderLines(out)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("sysroot without a cache, from its ld.so.conf:\n  elfx:\n    %s\n  loader after ldconfig:\n    %s",
			strings.Join(got, "\n    "), strings.Join(want, "\n    "))
	}

	// With the cache ldconfig wrote, elfx reads it instead.
	lm, err = Resolve(filepath.Join(root, "opt/app/prog"), Config{Root: root, NoPreloadFile: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := lddStdout(lm); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("sysroot with its cache:\n  elfx:\n    %s\n  loader:\n    %s", strings.Join(got, "\n    "), strings.Join(want, "\n    "))
	}
}
