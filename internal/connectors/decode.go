package connectors

import (
	"encoding/json"
	"fmt"
)

// DecodeConfig turns a validated config map into a connector's typed config, starting from
// defaults (fields the config leaves out keep them). JSON numbers and Go integers both decode.
func DecodeConfig[T any](typeName string, config map[string]any, defaults T) (T, error) {
	raw, err := json.Marshal(config)
	if err != nil {
		return defaults, fmt.Errorf("%s config: %w", typeName, err)
	}
	cfg := defaults
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return defaults, fmt.Errorf("%s config: %w", typeName, err)
	}
	return cfg, nil
}
