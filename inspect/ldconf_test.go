package inspect

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// ldconfigDirs runs ldconfig -N -X -v (no cache, no links, list what is
// scanned) and returns the directories it took from the configuration: not
// the trusted ones it adds itself, nor the glibc-hwcaps subdirectories.
func ldconfigDirs(t *testing.T, args ...string) []string {
	t.Helper()
	ldconfig, err := exec.LookPath("ldconfig")
	if err != nil {
		t.Skip("no ldconfig")
	}
	out, err := exec.Command(ldconfig, append([]string{"-N", "-X", "-v"}, args...)...).Output()
	if err != nil {
		t.Fatalf("ldconfig %v: %v", args, err)
	}
	line := regexp.MustCompile(`^(.+): \(from (.*):\d+\)$`)
	var dirs []string
	for _, l := range strings.Split(string(out), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil || m[2] == "<builtin>" {
			continue
		}
		dirs = append(dirs, m[1])
	}
	return dirs
}

func TestReadConfSystem(t *testing.T) {
	if _, err := os.Stat("/etc/ld.so.conf"); err != nil {
		t.Skip("no /etc/ld.so.conf")
	}
	want := ldconfigDirs(t)
	got, err := ReadConf("", "/etc/ld.so.conf")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("ReadConf = %q\nldconfig scans %q", got, want)
	}
	t.Logf("%d directories: %q", len(got), got)
}

// writeTree creates files under root: a value ending in "/" makes a
// directory, one starting with "->" a symbolic link.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case content == "/":
			err := os.MkdirAll(p, 0o755)
			if err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(content, "->"):
			if err := os.Symlink(content[2:], p); err != nil {
				t.Fatal(err)
			}
		default:
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// confTree exercises the directives, separators, globbing and root-relative
// resolution of the configuration parser.
var confTree = map[string]string{
	"etc/ld.so.conf": "# comment\n" +
		"include ld.so.conf.d/*.conf\n" +
		"  /opt/a/lib   # trailing comment\n" +
		"/opt/b/lib/=libc6\n" +
		"hwcap 1 foo\n" +
		"HWCAP 0 bar\n" +
		"/opt/c lib,/opt/d\n" +
		"/opt/missing\n" +
		"/\n" +
		"include /etc/extra.conf /etc/nomatch*.conf\n" +
		"Include /etc/extra.conf\n" +
		"include\t/etc/sub/../extra2.conf\n" +
		"/opt/link/lib\n" +
		"/opt/a/lib\n" +
		"/opt/e\x00/ignored\n" +
		"/opt/f",
	"etc/ld.so.conf.d/b.conf":     "/opt/b/lib\n/opt/b2\n",
	"etc/ld.so.conf.d/a.conf":     "/opt/a2\n",
	"etc/ld.so.conf.d/.hid.conf":  "/opt/hidden\n",
	"etc/ld.so.conf.d/c.conf.bak": "/opt/bak\n",
	"etc/extra.conf":              "/opt/g\n",
	"etc/extra2.conf":             "/opt/h\n",
	"etc/sub/":                    "/",
	"opt/a/lib/":                  "/",
	"opt/a2/":                     "/",
	"opt/b/lib/":                  "/",
	"opt/b2/":                     "/",
	"opt/c lib,/opt/d/":           "/",
	"opt/d/":                      "/",
	"opt/e/":                      "/",
	"opt/f/":                      "/",
	"opt/g/":                      "/",
	"opt/h/":                      "/",
	"opt/hidden/":                 "/",
	"opt/bak/":                    "/",
	"opt/real/lib/":               "/",
	"opt/link":                    "->/opt/real",
	"Include /etc/extra.conf/":    "/",
}

// confTreeDirs is what ldconfig -r reads from confTree, worked out by hand
// and checked against ldconfig below.
var confTreeDirs = []string{
	"/opt/a2", "/opt/b/lib", "/opt/b2", "/opt/a/lib", "/opt/c lib,/opt/d",
	"/opt/g", "Include /etc/extra.conf", "/opt/h", "/opt/link/lib", "/opt/e", "/opt/f",
}

func TestReadConfRoot(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, confTree)
	got, err := ReadConf(root, "/etc/ld.so.conf")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, confTreeDirs) {
		t.Errorf("ReadConf = %q\nwant       %q", got, confTreeDirs)
	}
	if os.Geteuid() == 0 { // ldconfig -r chroots only as root
		want := ldconfigDirs(t, "-r", root)
		if !slices.Equal(got, want) {
			t.Errorf("ReadConf = %q\nldconfig  %q", got, want)
		}
	}

	// The same tree as an fs.FS.
	mfs := fstest.MapFS{}
	for name, content := range confTree {
		switch {
		case content == "/":
			mfs[strings.TrimSuffix(name, "/")] = &fstest.MapFile{Mode: fs.ModeDir | 0o755}
		case strings.HasPrefix(content, "->"):
			mfs[name] = &fstest.MapFile{Data: []byte(content[2:]), Mode: fs.ModeSymlink}
		default:
			mfs[name] = &fstest.MapFile{Data: []byte(content)}
		}
	}
	got, err = ReadConfFS(mfs, "etc/ld.so.conf")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, confTreeDirs) {
		t.Errorf("ReadConfFS = %q\nwant         %q", got, confTreeDirs)
	}
}

func TestReadConfMissing(t *testing.T) {
	got, err := ReadConf(t.TempDir(), "/etc/ld.so.conf")
	if err != nil || got != nil {
		t.Errorf("ReadConf of a missing file = %q, %v; want nothing", got, err)
	}
}

func TestReadConfLoops(t *testing.T) {
	mfs := fstest.MapFS{
		"etc/ld.so.conf":  {Data: []byte("include /etc/a.conf\n/d1\ninclude /etc/ld.so.conf\n")},
		"etc/a.conf":      {Data: []byte("/d2\ninclude /etc/ld.so.conf /etc/loop/x.conf\n")},
		"etc/loop":        {Data: []byte("/etc/loop"), Mode: fs.ModeSymlink},
		"d1":              {Mode: fs.ModeDir},
		"d2":              {Mode: fs.ModeDir},
		"d3":              {Data: []byte("d1"), Mode: fs.ModeSymlink},
		"etc/b.conf":      {Data: []byte("/d3\n/d1\n")},
		"etc/ld.so.conf2": {Data: []byte("include b.conf\n")},
	}
	got, err := ReadConfFS(mfs, "/etc/ld.so.conf")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/d2", "/d1"}; !slices.Equal(got, want) {
		t.Errorf("ReadConfFS = %q, want %q", got, want)
	}
	// /d3 is a link to /d1: the same directory, kept under its first name.
	got, err = ReadConfFS(mfs, "/etc/ld.so.conf2")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/d3"}; !slices.Equal(got, want) {
		t.Errorf("ReadConfFS = %q, want %q", got, want)
	}

	// A tree of includes that doubles at every level stops at the bound.
	deep := fstest.MapFS{}
	for i := 0; i < 20; i++ {
		deep[confName(i)] = &fstest.MapFile{Data: []byte("include /" + confName(i+1) + " /" + confName(i+1) + "\n")}
	}
	if _, err := ReadConfFS(deep, confName(0)); err == nil {
		t.Error("ReadConfFS of 2^20 includes: no error")
	}

	// So does a pattern that goes round a link to the root.
	up := fstest.MapFS{
		"etc/ld.so.conf": {Data: []byte("include /*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/*/x.conf\n")},
		"a":              {Data: []byte("/"), Mode: fs.ModeSymlink},
		"b":              {Data: []byte(".."), Mode: fs.ModeSymlink},
		"c":              {Mode: fs.ModeDir},
	}
	if _, err := ReadConfFS(up, "/etc/ld.so.conf"); err == nil {
		t.Error("ReadConfFS of a glob over 4^20 paths: no error")
	}
}

func confName(i int) string { return "etc/c" + strings.Repeat("x", i) + ".conf" }

func TestFnmatch(t *testing.T) {
	for _, c := range []struct {
		pattern, name string
		want          bool
	}{
		{"*.conf", "a.conf", true},
		{"*.conf", ".a.conf", false},
		{".*", ".a", true},
		{"\\.*", ".a", true},
		{"?a", ".a", false},
		{"[.]a", ".a", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"[a-c]x", "bx", true},
		{"[!a-c]x", "bx", false},
		{"[^a-c]x", "dx", true},
		{"[]]", "]", true},
		{"[!]]", "a", true},
		{"[a-]", "-", true},
		{"[[:digit:]]*", "7up", true},
		{"[[:alpha:][:digit:]]", "_", false},
		{"[[:nosuch:]]", "a", false},
		{"[[:Alpha:]]", "A", false},
		{"[", "[", true},
		{"[ab", "[ab", true},
		{"a\\*", "a*", true},
		{"a\\*", "ab", false},
		{"a\\", "a\\", false},
		{"[a\\]]", "]", true},
		{"", "", true},
		{"*", "", true},
	} {
		if got := fnmatch(c.pattern, c.name); got != c.want {
			t.Errorf("fnmatch(%q, %q) = %v, want %v", c.pattern, c.name, got, c.want)
		}
	}
}

func FuzzReadConf(f *testing.F) {
	f.Add([]byte("include ld.so.conf.d/*.conf\n/usr/lib\n"), []byte("/lib64\n"))
	f.Add([]byte(confTree["etc/ld.so.conf"]), []byte(confTree["etc/ld.so.conf.d/a.conf"]))
	f.Add([]byte("include /etc/*/*.conf /l*/../etc/x.conf\n"), []byte("include /etc/ld.so.conf\n/loop/x\n"))
	f.Add([]byte("include [[:alpha:]-\\]*.conf\nhwcap\t0 x\n"), []byte("/lib64/\x00\n"))
	f.Fuzz(func(t *testing.T, conf, inc []byte) {
		mfs := fstest.MapFS{
			"etc/ld.so.conf":          {Data: conf},
			"etc/ld.so.conf.d/a.conf": {Data: inc},
			"etc/x.conf":              {Data: inc},
			"usr/lib":                 {Mode: fs.ModeDir},
			"lib":                     {Mode: fs.ModeDir},
			"lib64":                   {Data: []byte("lib"), Mode: fs.ModeSymlink},
			"loop":                    {Data: []byte("/loop/x"), Mode: fs.ModeSymlink},
			"up":                      {Data: []byte("../../.."), Mode: fs.ModeSymlink},
		}
		dirs, err := ReadConfFS(mfs, "/etc/ld.so.conf")
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, d := range dirs {
			if d == "" || strings.HasSuffix(d, "/") {
				t.Errorf("directory %q not canonicalized", d)
			}
			if seen[d] {
				t.Errorf("directory %q listed twice", d)
			}
			seen[d] = true
		}
	})
}
