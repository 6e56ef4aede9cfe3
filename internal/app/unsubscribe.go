package app

import (
	"fmt"

	"github.com/nextflow-dev/nextflow/internal/channel/unsubscribe"
	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/secret"
)

// unsubscribeSigner signs one-click unsubscribe links with a key derived
// from NEXTFLOW_SECRET_KEY; links signed under a previous key
// (NEXTFLOW_SECRET_KEY_PREVIOUS) keep working.
func unsubscribeSigner(cfg *config.Config) (*unsubscribe.Signer, error) {
	materials := append([][]byte{cfg.SecretKey}, cfg.SecretKeysPrevious...)
	keys := make([][]byte, 0, len(materials))
	for _, m := range materials {
		k, err := secret.DeriveKey(m, unsubscribe.Purpose)
		if err != nil {
			return nil, &config.Error{Name: "NEXTFLOW_SECRET_KEY", Msg: err.Error()}
		}
		keys = append(keys, k)
	}
	s, err := unsubscribe.New(keys...)
	if err != nil {
		return nil, fmt.Errorf("unsubscribe links: %w", err)
	}
	return s, nil
}

// mountUnsubscribe serves the one-click unsubscribe links (/u/{token}) on
// the API's mux.
func (a *App) mountUnsubscribe() error {
	signer, err := unsubscribeSigner(a.cfg)
	if err != nil {
		return err
	}
	a.api.MountUnsubscribe(unsubscribe.NewService(a.store, signer, nil))
	return nil
}
