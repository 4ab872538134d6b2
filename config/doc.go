// Package config reads Meerkat's configuration: one TOML file, in the
// manner of MongooseIM's mongooseim.toml, with tables [general],
// [[listen.c2s]], [listen.http], [auth], [storage], [tls], [log] and one
// [modules.<name>] table per module. docs/configuration.md is the
// operator's reference and meerkat.toml the annotated example.
//
// # Loading
//
// Load starts from Default and applies the file over it: a key left out
// keeps its default, and an array replaces the default array. Decoding is
// strict: an unknown key or a value of the wrong type is an error. Then
// Validate checks ranges, allowed values, required keys and settings that
// only make sense together.
//
// # Errors
//
// Every problem is an *Error naming the file, the line and the dotted key,
// with array indices:
//
//	meerkat.toml:12: listen.c2s[0].mode: must be one of starttls, direct, plain
//
// Load and Parse go on past each problem and return them all, in line
// order, as one Errors. A TOML syntax error is the exception: the parser
// stops there, so it is the only problem returned, with its line and no key.
//
// # Modules
//
// The tables under [modules] are kept as parsed (Module.Raw). Once the
// server knows which modules it was built with, Config.CheckModules
// reports unknown names, and each module decodes its own table into its
// own struct with Module.Decode, with the same strictness and the same
// file:line:key errors.
package config
