package main

import (
	"errors"
	"fmt"

	"github.com/meerkat-xmpp/meerkat/config"
	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/modules/blocking"
	"github.com/meerkat-xmpp/meerkat/modules/disco"
	"github.com/meerkat-xmpp/meerkat/modules/last"
	"github.com/meerkat-xmpp/meerkat/modules/muc"
	"github.com/meerkat-xmpp/meerkat/modules/offline"
	"github.com/meerkat-xmpp/meerkat/modules/ping"
	"github.com/meerkat-xmpp/meerkat/modules/presence"
	"github.com/meerkat-xmpp/meerkat/modules/private"
	"github.com/meerkat-xmpp/meerkat/modules/register"
	"github.com/meerkat-xmpp/meerkat/modules/roster"
	entitytime "github.com/meerkat-xmpp/meerkat/modules/time"
	"github.com/meerkat-xmpp/meerkat/modules/vcard"
	versionmod "github.com/meerkat-xmpp/meerkat/modules/version"
)

// builder turns a module's config table into a ready (not started) module.
type builder func(t config.Module) (module.Module, error)

// build returns a builder for a module with config type C: defaults, then
// the table decoded strictly, then the constructor (which validates).
func build[C any, M module.Module](def func() C, tweak func(*C), newFn func(C) (M, error)) builder {
	return func(t config.Module) (module.Module, error) {
		cfg := def()
		if err := t.Decode(&cfg); err != nil {
			return nil, err
		}
		if tweak != nil {
			tweak(&cfg)
		}
		m, err := newFn(cfg)
		if err != nil {
			return nil, t.Errorf("", "%v", err)
		}
		return m, nil
	}
}

// moduleBuilders lists every module compiled into this binary, by config
// name. This is the only place that knows them all; there is no init()
// registration.
func moduleBuilders() map[string]builder {
	return map[string]builder{
		roster.Name:     build(roster.DefaultConfig, nil, roster.New),
		presence.Name:   build(presence.DefaultConfig, nil, presence.New),
		offline.Name:    build(offline.DefaultConfig, nil, offline.New),
		disco.Name:      build(disco.DefaultConfig, nil, disco.New),
		vcard.Name:      build(vcard.DefaultConfig, nil, vcard.New),
		blocking.Name:   build(blocking.DefaultConfig, nil, blocking.New),
		ping.Name:       build(ping.DefaultConfig, nil, ping.New),
		private.Name:    build(private.DefaultConfig, nil, private.New),
		last.Name:       build(last.DefaultConfig, nil, last.New),
		register.Name:   build(register.DefaultConfig, nil, register.New),
		muc.Name:        build(muc.DefaultConfig, nil, muc.New),
		entitytime.Name: build(entitytime.DefaultConfig, nil, entitytime.New),
		versionmod.Name: build(versionmod.DefaultConfig, func(c *versionmod.Config) {
			if c.Version == "" {
				c.Version = version()
			}
		}, versionmod.New),
	}
}

// buildModules constructs the configured modules in start order.
func buildModules(cfg *config.Config) ([]module.Module, error) {
	builders := moduleBuilders()
	known := make([]string, 0, len(builders))
	for name := range builders {
		known = append(known, name)
	}
	if err := cfg.CheckModules(known); err != nil {
		return nil, usageError{err}
	}
	var mods []module.Module
	var errs config.Errors
	for _, name := range cfg.ModuleNames() {
		m, err := builders[name](cfg.Modules[name])
		if err != nil {
			var ce config.Errors
			var e *config.Error
			switch {
			case errors.As(err, &ce):
				errs = append(errs, ce...)
			case errors.As(err, &e):
				errs = append(errs, e)
			default:
				return nil, fmt.Errorf("module %s: %w", name, err)
			}
			continue
		}
		mods = append(mods, m)
	}
	if len(errs) > 0 {
		return nil, usageError{errs}
	}
	return mods, nil
}
