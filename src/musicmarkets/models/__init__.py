"""Model builders: ``build_model(data, priors) -> pm.Model``; priors come from params.yaml."""
