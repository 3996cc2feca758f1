package frontdoor

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// OpenAPI patterns are ECMA-262 regular expressions. Go's regexp differs where it matters for
// validation: its \s and \S are ASCII-only and its dot matches \r, U+2028 and U+2029, so a URL
// ending in a no-break space would pass Bird's `[^\s]*` here and fail in every client.
const (
	ecmaSpace          = `\t\n\v\f\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}`
	ecmaLineTerminator = `\n\r\x{2028}\x{2029}`
)

// compileECMAPattern compiles an OpenAPI pattern with ECMA-262's meaning of \s, \S and the dot.
func compileECMAPattern(expr string) (openapi3.RegexMatcher, error) {
	translated, err := ecmaToGo(expr)
	if err != nil {
		return nil, err
	}
	return regexp.Compile(translated)
}

// ecmaToGo rewrites the constructs whose meaning differs; \uXXXX escapes become \x{XXXX}.
func ecmaToGo(expr string) (string, error) {
	// The "any character" idiom is the one common use of \S inside a class.
	expr = strings.NewReplacer(`[\s\S]`, `[\x00-\x{10FFFF}]`, `[\S\s]`, `[\x00-\x{10FFFF}]`).Replace(expr)
	var b strings.Builder
	inClass := false
	for i := 0; i < len(expr); i++ {
		ch := expr[i]
		switch {
		case ch == '\\' && i+1 < len(expr):
			next := expr[i+1]
			i++
			switch {
			case next == 's' && inClass:
				b.WriteString(ecmaSpace)
			case next == 's':
				b.WriteString("[" + ecmaSpace + "]")
			case next == 'S' && inClass:
				return "", fmt.Errorf("pattern %q: \\S inside a character class is not supported", expr)
			case next == 'S':
				b.WriteString("[^" + ecmaSpace + "]")
			case next == 'u' && i+4 < len(expr):
				b.WriteString(`\x{` + expr[i+1:i+5] + `}`)
				i += 4
			default:
				b.WriteByte('\\')
				b.WriteByte(next)
			}
		case ch == '[' && !inClass:
			inClass = true
			b.WriteByte(ch)
			if i+1 < len(expr) && expr[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(expr) && expr[i+1] == ']' {
				return "", fmt.Errorf("pattern %q: an empty character class is not supported", expr)
			}
		case ch == ']' && inClass:
			inClass = false
			b.WriteByte(ch)
		case ch == '.' && !inClass:
			b.WriteString("[^" + ecmaLineTerminator + "]")
		default:
			b.WriteByte(ch)
		}
	}
	return b.String(), nil
}
