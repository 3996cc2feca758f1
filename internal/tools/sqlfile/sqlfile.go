// Package sqlfile reads the statements of queries/*.sql by their sqlc names, for the
// benchmarks that run them outside the service.
package sqlfile

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Named returns the SQL of one sqlc query of file, on one line, without its comments.
func Named(file, name string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("%w (run from the repository's root)", err)
	}
	defer f.Close()
	var sql []string
	in := false
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "-- name: ") {
			if in {
				break
			}
			in = strings.HasPrefix(line, "-- name: "+name+" ")
			continue
		}
		if in && line != "" && !strings.HasPrefix(line, "--") {
			sql = append(sql, line)
		}
	}
	if len(sql) == 0 {
		return "", fmt.Errorf("%s: no query %s", file, name)
	}
	return strings.TrimSuffix(strings.Join(sql, " "), ";") + ";", nil
}

var (
	arg   = regexp.MustCompile(`sqlc\.n?arg\((\w+)\)`)
	embed = regexp.MustCompile(`sqlc\.embed\((\w+)\)`)
)

// Bind replaces each sqlc.arg(name) and sqlc.narg(name) of query by values[name], written as
// SQL, and each sqlc.embed(t) by t.*; it fails when a name has no value.
func Bind(query string, values map[string]string) (string, error) {
	var missing []string
	query = embed.ReplaceAllString(query, "$1.*")
	out := arg.ReplaceAllStringFunc(query, func(m string) string {
		name := arg.FindStringSubmatch(m)[1]
		v, ok := values[name]
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no value for %v", missing)
	}
	return out, nil
}
