package sqlitestore

import (
	"context"
	"errors"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/store"
)

func TestSearchLimits(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	a, err := s.OpenAccount(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	appendString(t, a, "INBOX", sample)
	mb, _ := a.Mailbox(ctx, "INBOX")
	if _, err := mb.SearchText(ctx, nil, make([]string, maxNeedles+1), true); !errors.Is(err, store.ErrCannot) {
		t.Errorf("too many needles: %v", err)
	}
	if _, err := mb.SearchText(ctx, nil, []string{strings.Repeat("x", maxNeedleLen+1)}, true); !errors.Is(err, store.ErrCannot) {
		t.Errorf("long needle: %v", err)
	}
	// Needles are SQL parameters, never SQL text.
	got, err := mb.SearchText(ctx, nil, []string{"') OR 1=1 --"}, true)
	if err != nil || len(got) != 0 {
		t.Errorf("injection attempt: %v, %v", got, err)
	}
	got, err = mb.SearchText(ctx, nil, []string{"BoDy"}, false)
	if err != nil || len(got) != 1 {
		t.Errorf("plain search: %v, %v", got, err)
	}
}
