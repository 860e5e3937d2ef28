"""SOPs, quick guides, training acknowledgements and QA reviews."""
