package config

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
)

// Load reads the configuration file at path: the defaults, overlaid with
// what the file sets, then validated.
//
// When the file cannot be read, the error is the *fs.PathError from the
// operating system. Otherwise every problem found (syntax, unknown keys,
// wrong types, invalid values) is returned together as an Errors, each
// naming the file, the line and the dotted key. The Config is nil whenever
// the error is not.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse is Load for a file already read: path is used for Config.Path and
// in error messages, data is the file's content.
//
// A TOML syntax error stops parsing and is the only entry of the Errors,
// with its line and no key. Otherwise decoding goes on past every problem,
// so that the Errors list them all.
func Parse(path string, data []byte) (*Config, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF")) // a byte order mark, as some editors write
	var tree map[string]any
	if err := toml.Unmarshal(data, &tree); err != nil {
		return nil, Errors{syntaxError(path, err)}
	}

	cfg := Default()
	cfg.Path = path
	cfg.pos = buildPositions(data)

	if _, ok := tree["modules"]; ok {
		// A file that configures modules lists all it wants, as with
		// [[listen.c2s]]: the default set does not add to it.
		cfg.Modules = map[string]Module{}
	}
	d := decoder{reporter{file: path, pos: cfg.pos}}
	d.fields("", tree, reflect.ValueOf(cfg).Elem())
	for name, m := range cfg.Modules {
		m.Name = name
		cfg.Modules[name] = m
	}

	errs := d.errs
	var verrs Errors
	if errors.As(cfg.Validate(), &verrs) {
		errs = append(errs, verrs...)
	}
	if err := orNil(errs); err != nil {
		return nil, err
	}
	return cfg, nil
}

// syntaxError turns go-toml's error into an Error with the line and the
// parser's message.
func syntaxError(path string, err error) *Error {
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, _ := de.Position()
		return &Error{File: path, Line: line, Msg: strings.TrimPrefix(de.Error(), "toml: ")}
	}
	return &Error{File: path, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
}
