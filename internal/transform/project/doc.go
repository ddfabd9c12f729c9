// Package project owns the model of a dbt project on disk: dbt_project.yml, models, sources,
// seeds, snapshots, macros, generic and singular tests, vars, and each node's configuration
// resolved with dbt's precedence (config() in the file over properties in schema.yml over the
// folder hierarchy of dbt_project.yml). It reads files only; rendering Jinja is package jinja's job.
package project
