package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/contact"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// Executions that run for a stored contact see it as contact.View renders
// it, loaded in each transaction that runs them, so attributes changed by
// the API, an event or another journey are current. An execution without
// a contact ID (a pure journey) costs no query; one whose contact does not
// exist (erased, or a free-form contact map) keeps its context's contact.

// contactView loads a stored contact as expressions see it; nil when the
// tenant has no such contact.
func contactView(ctx context.Context, tx store.Tx, tenantID, contactID uuid.UUID) (map[string]any, error) {
	c, err := tx.ContactGetByID(ctx, tenantID, contactID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load contact %s: %w", contactID, err)
	}
	return contact.View(c), nil
}

// isContactView reports whether m is already the stored contact's view
// (the events path hands the contact it just upserted to the start).
func isContactView(m map[string]any, contactID uuid.UUID) bool {
	id, _ := m["id"].(string)
	_, attrs := m["attributes"].(map[string]any)
	_, subs := m["subscriptions"].(map[string]any)
	return id == contactID.String() && attrs && subs
}

// startContact is the contact a new execution's context starts with: the
// stored contact when contactID names one, else the caller's map.
func startContact(ctx context.Context, tx store.Tx, tenantID uuid.UUID, contactID *uuid.UUID, given map[string]any) (map[string]any, error) {
	if contactID == nil || isContactView(given, *contactID) {
		return given, nil
	}
	v, err := contactView(ctx, tx, tenantID, *contactID)
	if err != nil || v == nil {
		return given, err
	}
	return v, nil
}

// refreshContact replaces the context's contact with the stored one.
func (r *run) refreshContact(ctx context.Context) error {
	if r.exec.ContactID == nil || r.c.Engine.Test != nil { // a test run keeps its snapshot
		return nil
	}
	v, err := contactView(ctx, r.tx, r.exec.TenantID, *r.exec.ContactID)
	if err != nil || v == nil {
		return err
	}
	r.c.Contact = v
	return nil
}

// writeContactAttributes writes what a set_attribute node with target
// contact set through to the stored contact, in the run's transaction, and
// shows the stored result in the context. It reports a message when the
// write is the node's failure (the attributes would pass the size limit).
func (r *run) writeContactAttributes(ctx context.Context, n *workflow.Node, output any) (string, error) {
	if n.Type != workflow.TypeSetAttribute || r.exec.ContactID == nil {
		return "", nil
	}
	if p := r.g.prepared(r.e, n); p == nil || p.target == "vars" {
		return "", nil
	}
	if r.c.Engine.Test != nil {
		// A test run leaves the stored contact alone: its context shows
		// the values.
		testMergeAttributes(r.c.Contact, output)
		return "", nil
	}
	attrs, err := json.Marshal(output)
	if err != nil {
		return fmt.Sprintf("set_attribute: attributes cannot be stored: %v", err), nil
	}
	c, err := r.tx.ContactAttributesMerge(ctx, &store.ContactAttributesMergeParams{
		TenantID: r.exec.TenantID, ID: *r.exec.ContactID, Attributes: attrs, MaxAttributesBytes: contact.DefaultMaxAttributesBytes,
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", nil // the contact is gone: the context keeps the values
	case errors.Is(err, store.ErrAttributesTooLarge):
		return fmt.Sprintf("set_attribute: the contact's attributes would pass %d bytes", contact.DefaultMaxAttributesBytes), nil
	case err != nil:
		return "", fmt.Errorf("set_attribute %s: write contact %s: %w", n.ID, *r.exec.ContactID, err)
	}
	r.c.Contact = contact.View(c)
	return "", nil
}
