package kit

import (
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
)

// PageOffset is where page number page (from 1) of size rows starts, never past total: a page
// beyond the last is empty, however large its number (no overflow).
func PageOffset(page, size int, total int64) int32 {
	if page < 1 || size < 1 || int64(page-1) >= (total+int64(size)-1)/int64(size) {
		return int32(min(total, 1<<31-1))
	}
	return int32(int64(page-1) * int64(size))
}

// NextPage trims rows fetched with one extra row past limit and returns the token of the page
// after them, or nil on the last page.
func NextPage[T any](rows []T, limit int, cursorOf func(T) PageCursor) ([]T, *string) {
	if len(rows) <= limit {
		return rows, nil
	}
	return rows[:limit], Ptr(EncodePageToken(cursorOf(rows[limit-1])))
}

// PageCursor is the last row of a page; the next page starts after it.
type PageCursor struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

func EncodePageToken(c PageCursor) string {
	raw := c.CreatedAt.UTC().Format(time.RFC3339Nano) + "|" + c.ID.String()
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func DecodePageToken(token string) (PageCursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return PageCursor{}, err
	}
	ts, id, ok := strings.Cut(string(raw), "|")
	if !ok {
		return PageCursor{}, errors.New("malformed page token")
	}
	createdAt, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return PageCursor{}, err
	}
	uid, err := uuid.Parse(id)
	if err != nil {
		return PageCursor{}, err
	}
	return PageCursor{CreatedAt: createdAt, ID: uid}, nil
}
