package kit

import (
	"database/sql"
	"errors"
	"fmt"
)

// The expected outcomes of a handler, one type each. A dialect's room maps them to its vendor's
// documented bodies with errors.As; anything else a handler returns is a server fault.

// NotFoundError: the resource does not exist or belongs to another account.
type NotFoundError struct {
	// What names the resource as the dialect calls it ("webhook"); ID is the caller's id for it.
	What, ID string
}

func (e *NotFoundError) Error() string { return e.What + " " + e.ID + " not found" }

// NotFound reports that the caller's id names no resource of theirs.
func NotFound(what, id string) error { return &NotFoundError{What: what, ID: id} }

// Found turns sql.ErrNoRows into NotFound(what, id) and wraps any other error with what was
// sought.
func Found(err error, what, id string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return NotFound(what, id)
	}
	return fmt.Errorf("%s %s: %w", what, id, err)
}

// IsNotFound tells whether err reports a missing resource.
func IsNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}

// InvalidError: input that the schema alone cannot judge.
type InvalidError struct{ Fields []FieldError }

func (e *InvalidError) Error() string { return JoinFields(e.Fields) }

// Invalid reports one problem with the input; path is "" for the request as a whole.
func Invalid(path, message string) error {
	return &InvalidError{Fields: []FieldError{{Path: path, Message: message}}}
}

// ForbiddenError: the caller may see the resource but not act on it.
type ForbiddenError struct{ Reason string }

func (e *ForbiddenError) Error() string { return e.Reason }

// Forbidden reports a refusal for reason.
func Forbidden(reason string) error { return &ForbiddenError{Reason: reason} }

// ConflictError: the request contradicts what is stored (a duplicate, a spent limit).
type ConflictError struct{ Reason string }

func (e *ConflictError) Error() string { return e.Reason }

// Conflict reports a conflict for reason.
func Conflict(reason string) error { return &ConflictError{Reason: reason} }
