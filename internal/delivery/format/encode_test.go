package format

import "testing"

func TestMarshalLeavesTextAlone(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"<a>&b":          `"<a>&b"`,
		"x\u2028y\u2029": "\"x\u2028y\u2029\"",
		"quote\"\\":      `"quote\"\\"`,
		"ctl\x01":        `"ctl\u0001"`,
		`\u2028`:         `"\\u2028"`,
		"\\\u2028":       "\"\\\\\u2028\"",
	} {
		got, err := Marshal(in)
		if err != nil || string(got) != want {
			t.Errorf("Marshal(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
}
