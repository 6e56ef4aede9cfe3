package whatsapp

import (
	"context"
	"errors"
	"fmt"
)

// Probe is the connection test: it reads the phone number's metadata with
// the token and returns nil, or an error that says in words what failed.
func (c *Client) Probe(ctx context.Context, phoneNumberID, token string) (*PhoneNumber, error) {
	if phoneNumberID == "" {
		return nil, errors.New("the connection has no phone number ID")
	}
	if token == "" {
		return nil, errors.New("the connection has no access token")
	}
	pn, err := c.PhoneNumber(ctx, phoneNumberID, token)
	if err == nil {
		return pn, nil
	}
	var api *APIError
	var tr *TransportError
	switch {
	case errors.As(err, &api) && api.Code == CodeAccessToken:
		return nil, fmt.Errorf("Meta refused the access token (expired or invalid): %s", api.Message)
	case errors.As(err, &api) && api.Code == CodeInvalidParameter:
		return nil, fmt.Errorf("phone number ID %s does not exist or this token cannot use it: %s", phoneNumberID, api.Message)
	case errors.As(err, &api):
		return nil, fmt.Errorf("Meta answered with error %d: %s", api.Code, api.Message)
	case errors.As(err, &tr):
		return nil, fmt.Errorf("the Graph API could not be reached: %v", tr.Err)
	}
	return nil, err
}
