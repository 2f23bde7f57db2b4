package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written in the file as a Go duration
// string such as "30m" or "1h30m". Bare integers other than 0 are
// rejected: "idle = 30" is more likely a mistake than 30 nanoseconds.
type Duration struct {
	time.Duration
}

// UnmarshalTOML implements toml.Unmarshaler.
func (d *Duration) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		p, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("invalid duration %q (want e.g. \"30s\", \"15m\", \"1h\")", v)
		}
		d.Duration = p
		return nil
	case int64:
		if v == 0 {
			d.Duration = 0
			return nil
		}
		return fmt.Errorf("duration %d has no unit (write e.g. \"%ds\")", v, v)
	default:
		return fmt.Errorf("invalid duration %v (want a string such as \"30m\")", v)
	}
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Size is a number of bytes, written in the file either as an integer or
// as a string with a binary unit suffix: "64K", "64M", "1G", "1T" (also
// "64KiB", "64MB"...: every unit is a power of 1024).
type Size int64

// UnmarshalTOML implements toml.Unmarshaler.
func (s *Size) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case int64:
		if v < 0 {
			return fmt.Errorf("negative size %d", v)
		}
		*s = Size(v)
		return nil
	case string:
		n, err := ParseSize(v)
		if err != nil {
			return err
		}
		*s = n
		return nil
	default:
		return fmt.Errorf("invalid size %v (want an integer or a string such as \"64M\")", v)
	}
}

// MarshalText implements encoding.TextMarshaler.
func (s Size) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// String formats s with the largest unit that divides it exactly.
func (s Size) String() string {
	n, suffix := int64(s), ""
	for _, u := range []string{"K", "M", "G"} {
		if n == 0 || n%1024 != 0 {
			break
		}
		n, suffix = n/1024, u
	}
	return strconv.FormatInt(n, 10) + suffix
}

// ParseSize parses a size such as "1048576", "64K", "64MiB" or "1G".
func ParseSize(str string) (Size, error) {
	bad := fmt.Errorf("invalid size %q (want e.g. \"65536\", \"64K\", \"64M\", \"1G\")", str)
	if len(str) > 32 {
		return 0, bad
	}
	s := strings.TrimSpace(str)
	digits := strings.TrimRight(s, "KMGTBikmgtb ")
	unit := strings.ToUpper(strings.TrimSpace(s[len(digits):]))
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n < 0 {
		return 0, bad
	}
	var shift uint
	switch strings.TrimSuffix(strings.TrimSuffix(unit, "B"), "I") {
	case "":
		if unit != "" && unit != "B" {
			return 0, bad
		}
	case "K":
		shift = 10
	case "M":
		shift = 20
	case "G":
		shift = 30
	case "T":
		shift = 40
	default:
		return 0, bad
	}
	if n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("size %q is too large", str)
	}
	return Size(n << shift), nil
}
