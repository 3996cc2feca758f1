package db

import (
	"errors"

	"github.com/lib/pq"
)

// IsUniqueViolation tells whether err is PostgreSQL refusing a duplicate key (SQLSTATE 23505).
func IsUniqueViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}
