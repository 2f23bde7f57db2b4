package sqlitestore

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/store"
)

func TestLimitedReader(t *testing.T) {
	tests := []struct {
		in      string
		max     int64
		wantErr error
	}{
		{"hello", 0, nil},
		{"hello", 5, nil},
		{"hello", 4, store.ErrTooBig},
		{strings.Repeat("x", 100000), 99999, store.ErrTooBig},
		{strings.Repeat("x", 100000), 100000, nil},
	}
	for _, tt := range tests {
		l := &limitedReader{ctx: context.Background(), r: strings.NewReader(tt.in), max: tt.max}
		b, err := io.ReadAll(l)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("len %d max %d: error %v, want %v", len(tt.in), tt.max, err, tt.wantErr)
		}
		if tt.wantErr == nil && (string(b) != tt.in || l.n != int64(len(tt.in))) {
			t.Errorf("len %d max %d: read %d bytes, counted %d", len(tt.in), tt.max, len(b), l.n)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l := &limitedReader{ctx: ctx, r: strings.NewReader("x")}
	if _, err := io.ReadAll(l); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if !errors.Is(l.cause(errors.New("parser said so")), context.Canceled) {
		t.Error("cause does not prefer the reader's own error")
	}
}

func TestAppendFailureLeavesNoFiles(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	s.opts.MaxMessageSize = 10
	a, err := s.OpenAccount(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Append(ctx, "INBOX", store.AppendMessage{Body: strings.NewReader(sample), Size: -1})
	if !errors.Is(err, store.ErrTooBig) {
		t.Fatalf("Append: %v", err)
	}
	ents, err := osReadDir(a.(*Account).a.msgDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Fatalf("files left in msg/: %v", ents)
	}
}

func osReadDir(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names, err
}
