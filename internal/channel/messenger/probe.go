package messenger

import (
	"context"
	"errors"
	"fmt"
)

// Probe is the connection test of a Messenger connection: it reads the
// page with its token and returns the page's name. Its error says in
// words what failed (the token refused, the page unknown, Meta not
// reachable), without the token.
func (c *Client) Probe(ctx context.Context, pageID, token string) (string, error) {
	if err := CheckPageID(pageID); err != nil {
		return "", err
	}
	if token == "" {
		return "", errors.New("the connection has no page token")
	}
	p, err := c.GetPage(ctx, pageID, token)
	if err == nil {
		if p.ID != pageID {
			return "", fmt.Errorf("the Graph API answered for page %s, not %s", p.ID, pageID)
		}
		return p.Name, nil
	}
	e, ok := AsError(err)
	if !ok {
		return "", fmt.Errorf("reading page %s failed: %w", pageID, err)
	}
	switch {
	case e.TokenInvalid:
		return "", fmt.Errorf("Meta refused the page token: it is expired, revoked or not a token of this page (code %d)", e.Code)
	case e.Code == CodeInvalidParameter || e.Status == 404:
		return "", fmt.Errorf("page %s does not exist or its token cannot see it: %s", pageID, e.Message)
	case e.Code == CodePermission:
		return "", fmt.Errorf("the page token lacks a permission (pages_messaging is needed): %s", e.Message)
	case e.Status == 0:
		return "", fmt.Errorf("Messenger could not be reached: %s", e.Message)
	}
	return "", fmt.Errorf("reading page %s failed: %s", pageID, e.Error())
}

// CheckPageID checks a Facebook Page ID: 1 to 32 digits.
func CheckPageID(id string) error {
	if id == "" {
		return errors.New("the connection has no page ID")
	}
	if len(id) > MaxPSIDLen {
		return fmt.Errorf("the page ID is %d characters, limit %d", len(id), MaxPSIDLen)
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return fmt.Errorf("the page ID %q is not all digits", id)
		}
	}
	return nil
}
