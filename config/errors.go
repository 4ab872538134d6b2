package config

import (
	"sort"
	"strconv"
	"strings"
)

// Error is one problem in a configuration file. Its text has the form
//
//	meerkat.toml:12: listen.c2s[0].mode: must be one of starttls, direct, plain
//
// File is the path the configuration was loaded from. Line is 1-based and
// is 0 when no line applies (a problem in a default value, or in a Config
// built in code); the line is then left out of the text. Key is the dotted
// key with array indices, such as listen.c2s[1].address, and is empty for
// TOML syntax errors.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

// Error returns the one-line text "file:line: key: message", leaving out
// the parts that are empty.
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		b.WriteString(e.File)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(": ")
	case e.File != "":
		b.WriteString(e.File)
		b.WriteString(": ")
	case e.Line > 0:
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one configuration file, ordered by line
// (problems without a line come last). Load, Parse, Config.Validate,
// Config.CheckModules and Module.Decode return it as their error; its text
// is one Error per line.
//
// Both errors.As(err, &errs) with errs of type Errors and with errs of type
// *Errors find it.
type Errors []*Error

// Error returns the problems one per line.
func (e Errors) Error() string {
	var b strings.Builder
	for i, err := range e {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(err.Error())
	}
	return b.String()
}

// Unwrap returns each problem as an error, so errors.As can reach a single
// *Error.
func (e Errors) Unwrap() []error {
	errs := make([]error, len(e))
	for i, err := range e {
		errs[i] = err
	}
	return errs
}

// As lets errors.As fill a target of type **Errors as well as *Errors.
func (e Errors) As(target any) bool {
	if p, ok := target.(**Errors); ok {
		errs := e
		*p = &errs
		return true
	}
	return false
}

// sortErrors orders problems by line, keeping the order in which they were
// found within a line; problems without a line go last.
func sortErrors(errs Errors) {
	sort.SliceStable(errs, func(i, j int) bool {
		li, lj := errs[i].Line, errs[j].Line
		if li == 0 || lj == 0 {
			return lj == 0 && li != 0
		}
		return li < lj
	})
}

// orNil returns errs sorted as an error, or nil when there are none. It
// keeps a nil Errors from turning into a non-nil error.
func orNil(errs Errors) error {
	if len(errs) == 0 {
		return nil
	}
	sortErrors(errs)
	return errs
}
