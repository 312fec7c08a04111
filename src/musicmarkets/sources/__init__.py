"""One reader per raw source. Each returns tidy, typed pandas frames."""
