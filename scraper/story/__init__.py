"""What belongs to the story: its topic (terms, concepts, threshold) and its date window."""
