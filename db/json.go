package db

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
)

// JSON is a jsonb value as its JSON text. The connection sends parameters in binary format
// (one round trip per query, see internal/dbconn), which lib/pq applies to every []byte; jsonb's
// binary format is not its text, so JSON goes to PostgreSQL as a string.
type JSON []byte

// Value sends the JSON text.
func (j JSON) Value() (driver.Value, error) {
	if j == nil {
		return nil, nil
	}
	return string(j), nil
}

// Scan keeps a copy of the JSON text PostgreSQL returned.
func (j *JSON) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*j = nil
	case []byte:
		*j = append((*j)[:0:0], v...)
	case string:
		*j = JSON(v)
	default:
		return fmt.Errorf("db.JSON: cannot scan %T", src)
	}
	return nil
}

// MarshalJSON writes the value as it is, like json.RawMessage.
func (j JSON) MarshalJSON() ([]byte, error) {
	if j == nil {
		return []byte("null"), nil
	}
	return j, nil
}

// UnmarshalJSON keeps a copy of the value's JSON text, like json.RawMessage.
func (j *JSON) UnmarshalJSON(data []byte) error {
	return (*json.RawMessage)(j).UnmarshalJSON(data)
}
