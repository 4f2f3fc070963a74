// Command configcheck loads a compose file the way `docker compose config` does, with
// compose-go (the library Docker Compose is built on): schema validation, interpolation
// from an env file, profiles. It needs no Docker engine, so the tests can check
// docker-compose.yml on a machine without one.
//
//	configcheck -file docker-compose.yml -env-file .chirp/compose.env -profile setup
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	file := flag.String("file", "docker-compose.yml", "the compose file")
	envFile := flag.String("env-file", "", "variables to interpolate, as docker compose --env-file")
	profile := flag.String("profile", "", "a profile to enable, as docker compose --profile")
	flag.Parse()

	count, err := load(*file, *envFile, *profile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "configcheck: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%s: %d services\n", *file, count)
}

func load(file, envFile, profile string) (int, error) {
	var options []cli.ProjectOptionsFn
	if envFile != "" {
		options = append(options, cli.WithEnvFiles(envFile))
	}
	options = append(options, cli.WithDotEnv) // reads the env files named above
	if profile != "" {
		options = append(options, cli.WithProfiles([]string{profile}))
	}
	projectOptions, err := cli.NewProjectOptions([]string{file}, options...)
	if err != nil {
		return 0, err
	}
	project, err := projectOptions.LoadProject(context.Background())
	if err != nil {
		return 0, err
	}
	return len(project.Services), nil
}
