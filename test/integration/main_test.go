package integration

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// targetFlag selects the servers the suite runs against.
var targetFlag = flag.String("target", "",
	`comma-separated servers to test: "petrel", "dovecot" or "petrel,dovecot" (default $PETREL_TEST_TARGET, else "petrel")`)

// suite is what TestMain prepares once per test binary.
var suite struct {
	targets  []string // validated target kinds, in order
	petrel   string   // path of the built petrel binary
	buildErr error    // why petrel could not be built; reported by every Petrel test
}

func TestMain(m *testing.M) {
	flag.Parse()
	targets, err := parseTargets(*targetFlag, os.Getenv("PETREL_TEST_TARGET"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	suite.targets = targets
	for _, k := range targets {
		if k == kindPetrel {
			suite.petrel, suite.buildErr = buildPetrel()
		}
	}
	os.Exit(m.Run())
}

// parseTargets returns the target list from the -target flag, else the
// environment, else Petrel alone.
func parseTargets(flagVal, envVal string) ([]string, error) {
	v := flagVal
	if v == "" {
		v = envVal
	}
	if v == "" {
		v = kindPetrel
	}
	var out []string
	seen := map[string]bool{}
	for _, k := range strings.Split(v, ",") {
		k = strings.TrimSpace(strings.ToLower(k))
		if k == "all" {
			return []string{kindPetrel, kindDovecot}, nil
		}
		if k != kindPetrel && k != kindDovecot {
			return nil, fmt.Errorf("integration: unknown target %q (want petrel, dovecot or all)", k)
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out, nil
}

// buildPetrel runs `go build -o tmp/petrel ./cmd/petrel` in the module root,
// with -race when this test binary has the race detector, and returns the
// binary's absolute path.
func buildPetrel() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(root, "tmp", "petrel")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/petrel")
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go %s (in %s): %v\n%s", strings.Join(args, " "), root, err, out.String())
	}
	return bin, nil
}

// moduleRoot walks up from the working directory to the directory holding
// go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above the working directory")
		}
		dir = parent
	}
}

func TestParseTargets(t *testing.T) {
	tests := []struct {
		flag, env string
		want      string
		wantErr   bool
	}{
		{"", "", "petrel", false},
		{"", "dovecot", "dovecot", false},
		{"petrel", "dovecot", "petrel", false},
		{"Dovecot, petrel", "", "dovecot,petrel", false},
		{"all", "", "petrel,dovecot", false},
		{"petrel,petrel", "", "petrel", false},
		{"cyrus", "", "", true},
		{"", "petrel,", "", true},
	}
	for _, tt := range tests {
		got, err := parseTargets(tt.flag, tt.env)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseTargets(%q, %q) error = %v, want error %v", tt.flag, tt.env, err, tt.wantErr)
			continue
		}
		if err == nil && strings.Join(got, ",") != tt.want {
			t.Errorf("parseTargets(%q, %q) = %v, want %s", tt.flag, tt.env, got, tt.want)
		}
	}
}
