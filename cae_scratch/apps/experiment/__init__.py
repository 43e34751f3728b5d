"""AE vs DAE vs CAE, measured as in Rifai et al.: ``config`` (settings), ``run`` (train, select, measure), ``report``."""
