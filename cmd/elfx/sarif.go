package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path"
	"slices"
	"strings"
)

// sarifLog is a SARIF 2.1.0 log (OASIS Static Analysis Results
// Interchange Format), the shape code-scanning interfaces read: one run
// of elfx, its rules, and a result per finding located at the file.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Results     []sarifResult     `json:"results"`
	Invocations []sarifInvocation `json:"invocations"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifMessage `json:"shortDescription"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

// sarifRules are the kinds of result elfx compat check reports.
var sarifRules = []sarifRule{
	{"too-new-version", sarifMessage{"A versioned symbol reference newer than the target provides"}},
	{"library-not-allowed", sarifMessage{"A needed library the policy does not allow"}},
	{"version-not-allowed", sarifMessage{"A symbol version the policy does not allow"}},
	{"missing-library", sarifMessage{"A needed library the target lacks"}},
	{"missing-version", sarifMessage{"A symbol version no library of the target defines"}},
	{"undefined-symbol", sarifMessage{"A strong reference no library of the target defines"}},
}

func newSARIFLog() *sarifLog {
	return &sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs: []sarifRun{{
			Tool:        sarifTool{sarifDriver{Name: "elfx", InformationURI: "https://github.com/elfx/elfx", Rules: sarifRules}},
			Results:     []sarifResult{},
			Invocations: []sarifInvocation{{ExecutionSuccessful: true}},
		}},
	}
}

func sarifAt(file string) []sarifLocation {
	return []sarifLocation{{sarifPhysical{sarifArtifact{sarifURI(file)}}}}
}

// sarifURI spells a path as the URI reference an artifactLocation holds
// (SARIF 2.1.0 §3.4.3): a file: URI for an absolute path, a relative
// reference otherwise. The path is percent-encoded byte by byte, so that
// spaces, '%', '#', '?', newlines and bytes that are not UTF-8, all of
// which a hostile file's paths may hold, come back unchanged when a
// consumer decodes it.
func sarifURI(p string) string {
	esc := (&url.URL{Path: p}).EscapedPath()
	if path.IsAbs(p) {
		return "file://" + esc
	}
	// In a relative reference a ':' in the first segment would end a
	// scheme ("c:x" reads as scheme c), and EscapedPath leaves it.
	return strings.ReplaceAll(esc, ":", "%3A")
}

// writeSARIF writes the log as compat check and compat diff print it.
func writeSARIF(w io.Writer, l *sarifLog) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(l)
}

// add records the findings of one file.
func (l *sarifLog) add(r *checkReport) {
	run := &l.Runs[0]
	for _, t := range r.TooNew {
		what := t.Symbol + "@" + t.Version
		if t.Symbol == "" {
			what = t.Version
		}
		obj := r.File
		if t.Object != "" {
			obj = t.Object
		}
		run.Results = append(run.Results, sarifResult{
			RuleID: "too-new-version", Level: "error",
			Message:   sarifMessage{fmt.Sprintf("%s requires %s from %s, newer than the target provides", obj, what, t.Library)},
			Locations: sarifAt(obj),
		})
	}
	for _, v := range r.Violations {
		run.Results = append(run.Results, sarifResult{RuleID: v.Kind, Level: "error", Message: sarifMessage{v.Detail}, Locations: sarifAt(v.Object)})
	}
}

// addDiff records the changes of a diff, located at the new library: a
// breaking change is an error, another a note.
func (l *sarifLog) addDiff(r *diffReport) {
	run := &l.Runs[0]
	for _, c := range r.Changes {
		// A kind may be a rule already, from compat check or an earlier diff.
		if !slices.ContainsFunc(run.Tool.Driver.Rules, func(rule sarifRule) bool { return rule.ID == c.Kind }) {
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{c.Kind, sarifMessage{"compat diff: " + c.Kind}})
		}
		level := "note"
		if c.Breaking {
			level = "error"
		}
		msg := c.Detail
		if c.Symbol != "" {
			msg = c.Symbol + ": " + msg
		}
		run.Results = append(run.Results, sarifResult{RuleID: c.Kind, Level: level, Message: sarifMessage{msg}, Locations: sarifAt(r.New)})
	}
}

// notify records a file that could not be checked.
func (l *sarifLog) notify(file string, err error) {
	inv := &l.Runs[0].Invocations[0]
	inv.ExecutionSuccessful = false
	inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
		Level: "error", Message: sarifMessage{err.Error()}, Locations: sarifAt(file),
	})
}
