package compat

import (
	"bufio"
	"debug/elf"
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Policy is a platform tag's rules: the newest version of each version
// family a file may require, on each machine, and the libraries it may
// need.
type Policy struct {
	Name      string
	Aliases   []string
	machines  map[elf.Machine]policyMachine
	libraries []string
}

type policyMachine struct {
	ceilings map[string]string // family -> newest allowed; "0" when none is
	extra    []string          // versions without a number allowed
}

// Ceiling is the newest version of family the policy allows on machine;
// false when the policy does not restrict the family there.
func (p *Policy) Ceiling(m elf.Machine, family string) (string, bool) {
	v, ok := p.machines[m].ceilings[family]
	return v, ok
}

// AllowsVersion reports whether the policy allows a version without a
// number (GLIBC_PRIVATE never is).
func (p *Policy) AllowsVersion(m elf.Machine, name string) bool {
	return slices.Contains(p.machines[m].extra, name)
}

// AllowsLibrary reports whether a file may need the library.
func (p *Policy) AllowsLibrary(soname string) bool {
	return slices.Contains(p.libraries, soname)
}

//go:embed policies.txt
var policyData string

// policies parses policies.txt once.
var policies = sync.OnceValues(func() ([]*Policy, error) { return parsePolicies(policyData) })

// LookupPolicy finds a built-in policy by name or alias.
func LookupPolicy(name string) (*Policy, bool) {
	ps, err := policies()
	if err != nil {
		panic(err) // the embedded data is part of the program
	}
	for _, p := range ps {
		if p.Name == name || slices.Contains(p.Aliases, name) {
			return p, true
		}
	}
	return nil, false
}

// PolicyNames lists the built-in policies' names.
func PolicyNames() []string {
	ps, _ := policies()
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return names
}

// policyMachines are the machine names of policies.txt.
var policyMachines = map[string]elf.Machine{"x86_64": elf.EM_X86_64, "i386": elf.EM_386, "aarch64": elf.EM_AARCH64}

// parsePolicies reads the policy table: a "policy NAME ALIAS..." line,
// "machine MACHINE FAMILY=NEWEST... +EXTRA..." lines and a "libraries"
// line per policy.
func parsePolicies(data string) ([]*Policy, error) {
	var ps []*Policy
	sc := bufio.NewScanner(strings.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if fields[0] == "policy" {
			if len(fields) < 2 {
				return nil, fmt.Errorf("policies.txt:%d: a policy without a name", n)
			}
			ps = append(ps, &Policy{Name: fields[1], Aliases: fields[2:], machines: map[elf.Machine]policyMachine{}})
			continue
		}
		if len(ps) == 0 {
			return nil, fmt.Errorf("policies.txt:%d: %s before any policy", n, fields[0])
		}
		p := ps[len(ps)-1]
		switch fields[0] {
		case "machine":
			m, ok := policyMachines[fields[1]]
			if !ok {
				return nil, fmt.Errorf("policies.txt:%d: unknown machine %s", n, fields[1])
			}
			pm := policyMachine{ceilings: map[string]string{}}
			for _, f := range fields[2:] {
				if extra, ok := strings.CutPrefix(f, "+"); ok {
					pm.extra = append(pm.extra, extra)
					continue
				}
				fam, v, ok := strings.Cut(f, "=")
				if !ok {
					return nil, fmt.Errorf("policies.txt:%d: %q is not FAMILY=VERSION", n, f)
				}
				if v == "-" {
					v = "0"
				}
				pm.ceilings[fam] = v
			}
			p.machines[m] = pm
		case "libraries":
			p.libraries = fields[1:]
		default:
			return nil, fmt.Errorf("policies.txt:%d: unknown line %q", n, fields[0])
		}
	}
	return ps, nil
}
