package message

import (
	"reflect"
	"testing"
)

func TestParseContentType(t *testing.T) {
	tests := []struct {
		in       string
		typ, sub string
		params   []Param
	}{
		{"text/plain", "text", "plain", nil},
		{" TEXT / HTML ; CHARSET = \"UTF-8\" (c)", "TEXT", "HTML", []Param{{"CHARSET", "UTF-8"}}},
		{"a/b; x=\"q\\\"uo\"; y=1;", "a", "b", []Param{{"x", "q\"uo"}, {"y", "1"}}},
		// Dovecot stops at the first broken parameter.
		{"a/b; c=1; broken; d=2", "a", "b", []Param{{"c", "1"}}},
		{"a/b; c=1=2; d=2", "a", "b", []Param{{"c", "1"}}},
		{"a/b; c=\"open", "a", "b", nil},
		// RFC 2231 §3 continuations are joined; §4 extended values keep
		// their encoded form under "name*".
		{"a/b; n*1=\"b\"; n*0=a", "a", "b", []Param{{"n", "ab"}}},
		{"a/b; t*0*=us-ascii'en'x%20; t*1=y", "a", "b", []Param{{"t*", "us-ascii'en'x%20y"}}},
		{"a/b; f*=utf-8''%C3%A9", "a", "b", []Param{{"f*", "utf-8''%C3%A9"}}},
		{"foo", "foo", "", nil},
		{"foo/", "", "", nil},
		{"", "", "", nil},
	}
	for _, tt := range tests {
		typ, sub, params := parseContentType(tt.in)
		if typ != tt.typ || sub != tt.sub || !reflect.DeepEqual(params, tt.params) {
			t.Errorf("%q: got %q %q %q, want %q %q %q", tt.in, typ, sub, params, tt.typ, tt.sub, tt.params)
		}
	}
}

func TestParamValue(t *testing.T) {
	_, _, params := parseContentType("a/b; t*0*=us-ascii'en'x%20; t*1=y; f*=iso-8859-1''caf%E9; plain=p; plain*=utf-8''no")
	tests := []struct{ name, want string }{
		{"t", "x y"},
		{"F", "café"},
		{"plain", "p"},
	}
	for _, tt := range tests {
		if got, ok := ParamValue(params, tt.name); !ok || got != tt.want {
			t.Errorf("%s: %q %v, want %q", tt.name, got, ok, tt.want)
		}
	}
	if _, ok := ParamValue(params, "none"); ok {
		t.Error("absent parameter found")
	}
}

func TestParseLanguageDisposition(t *testing.T) {
	if got := parseLanguage(" en-US, (c) fr ,,"); !reflect.DeepEqual(got, []string{"en-US", "fr"}) {
		t.Errorf("language %q", got)
	}
	typ, params, ok := parseDisposition("attachment; filename=\"a b.txt\"")
	if !ok || typ != "attachment" || !reflect.DeepEqual(params, []Param{{"filename", "a b.txt"}}) {
		t.Errorf("disposition %q %q %v", typ, params, ok)
	}
}
