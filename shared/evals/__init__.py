"""The eval engine: assertions with promptfoo's meaning, scored into gates. No Flask, no Google."""
