package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "petrel.toml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default() is invalid: %v", err)
	}
}

func TestLoad(t *testing.T) {
	p := writeFile(t, `
data_dir = "/var/lib/petrel"
[listen]
imap = ""
imaps = "[::]:993"
[limits]
append_limit = "1G"
max_line = 131072
[timeouts]
idle = "45m"
[log]
format = "json"
level = "DEBUG"
[auth]
cache_ttl = "0s"
[lmtp]
domains = ["example.org", "example.net"]
detail_delimiter = ""
`)
	got, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.DataDir = "/var/lib/petrel"
	want.Listen = Listen{IMAP: "", IMAPS: "[::]:993", LMTP: Default().Listen.LMTP}
	want.Limits.AppendLimit = 1 << 30
	want.Limits.MaxLine = 128 << 10
	want.Timeouts.Idle.Duration = 45 * time.Minute
	want.Log = Log{Level: "DEBUG", Format: "json"}
	want.Auth.CacheTTL.Duration = 0
	want.LMTP.Domains = []string{"example.org", "example.net"}
	want.LMTP.DetailDelimiter = ""
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Load:\n got %+v\nwant %+v", got, want)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string // substrings of the error
	}{
		{"unknown keys", "data_dir = \"x\"\nbogus = 1\n[listen]\nimapz = \"\"\n", []string{"unknown keys", "bogus", "listen.imapz"}},
		{"unknown table", "[smtp]\nport = 25\n", []string{"unknown keys", "smtp"}},
		{"bad duration", "[timeouts]\nauth = \"60 seconds\"\n", []string{"60 seconds"}},
		{"unitless duration", "[timeouts]\nauth = 60\n", []string{"no unit"}},
		{"bad size", "[limits]\nappend_limit = \"64X\"\n", []string{"64X"}},
		{"negative size", "[limits]\nappend_limit = -1\n", []string{"negative"}},
		{"wrong type", "[limits]\nmax_connections = \"many\"\n", []string{"max_connections"}},
		{"syntax", "data_dir = \n", []string{"petrel.toml"}},
		{"idle too short", "[timeouts]\nidle = \"29m\"\n", []string{"timeouts.idle", "RFC 9051"}},
		{"no listeners", "[listen]\nimap = \"\"\nimaps = \"\"\n", []string{"both imap and imaps"}},
		{"bad address", "[listen]\nimap = \"localhost\"\n", []string{"listen.imap"}},
		{"bad host", "[tls]\nhosts = [\"a b\"]\n", []string{"tls.hosts"}},
		{"cert without key", "[tls]\ncert = \"c.pem\"\n", []string{"cert and key"}},
		{"bad level", "[log]\nlevel = \"loud\"\n", []string{"log.level"}},
		{"bad format", "[log]\nformat = \"xml\"\n", []string{"log.format"}},
		{"delays", "[auth]\nfailure_delay = \"20s\"\nmax_failure_delay = \"1s\"\n", []string{"failure_delay"}},
		{"bad lmtp address", "[listen]\nlmtp = \"2424\"\n", []string{"listen.lmtp"}},
		{"long lmtp socket", "[listen]\nlmtp = \"unix:/" + strings.Repeat("x", 200) + "\"\n", []string{"listen.lmtp"}},
		{"bad domain", "[lmtp]\ndomains = [\"a@b\"]\n", []string{"lmtp.domains"}},
		{"bad delimiter", "[lmtp]\ndetail_delimiter = \"++\"\n", []string{"lmtp.detail_delimiter"}},
		{"no recipients", "[lmtp]\nmax_recipients = 0\n", []string{"lmtp.max_recipients"}},
		{"short lmtp timeout", "[lmtp]\ntimeout = \"10ms\"\n", []string{"lmtp.timeout"}},
		{"two problems", "data_dir = \"\"\n[log]\nformat = \"xml\"\n", []string{"data_dir", "; log.format"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, tt.file))
			if err == nil {
				t.Fatal("Load succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.toml")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
	big := writeFile(t, "# "+strings.Repeat("x", maxFile)+"\n")
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "larger") {
		t.Errorf("Load of a huge file: %v", err)
	}
}

// TestExample checks that petrel.example.toml loads, equals Default(),
// and sets every key the Config type has, so that it documents them all.
func TestExample(t *testing.T) {
	const path = "../../petrel.example.toml"
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("example differs from Default():\n got %+v\nwant %+v", got, want)
	}
	var c Config
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		t.Fatal(err)
	}
	var inFile []string
	for _, k := range md.Keys() {
		inFile = append(inFile, k.String())
	}
	for _, k := range keysOf(reflect.TypeFor[Config](), "") {
		if !slices.Contains(inFile, k) {
			t.Errorf("petrel.example.toml does not document %s", k)
		}
	}
}

// keysOf lists the dotted TOML keys of a struct type's leaf fields.
func keysOf(t reflect.Type, prefix string) []string {
	var keys []string
	for f := range t.Fields() {
		k := prefix + f.Tag.Get("toml")
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[Duration]() {
			keys = append(keys, keysOf(f.Type, k+".")...)
			continue
		}
		keys = append(keys, k)
	}
	return keys
}

func TestSlogLevel(t *testing.T) {
	for _, l := range []string{"debug", "info", "warn", "warning", "error", "INFO"} {
		if _, err := (Log{Level: l}).SlogLevel(); err != nil {
			t.Errorf("SlogLevel(%q): %v", l, err)
		}
	}
	if _, err := (Log{Level: "trace"}).SlogLevel(); err == nil {
		t.Error("SlogLevel(trace) succeeded")
	}
}

func TestLMTPUnixPath(t *testing.T) {
	tests := []struct {
		addr, path string
		unix       bool
	}{
		{"127.0.0.1:2424", "127.0.0.1:2424", false},
		{"/run/petrel/lmtp", "/run/petrel/lmtp", true},
		{"unix:/run/petrel/lmtp", "/run/petrel/lmtp", true},
		{"unix:rel/sock", "rel/sock", true},
		{"", "", false},
	}
	for _, tt := range tests {
		p, unix := LMTPUnixPath(tt.addr)
		if p != tt.path || unix != tt.unix {
			t.Errorf("LMTPUnixPath(%q) = %q, %v; want %q, %v", tt.addr, p, unix, tt.path, tt.unix)
		}
	}
}

func TestLMTPDisabledAndSocket(t *testing.T) {
	for _, addr := range []string{"", "unix:/run/petrel/lmtp", "/tmp/lmtp.sock", "[::1]:24"} {
		c := Default()
		c.Listen.LMTP = addr
		if err := c.Validate(); err != nil {
			t.Errorf("listen.lmtp = %q: %v", addr, err)
		}
	}
}
