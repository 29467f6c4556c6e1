"""Analysis mutations: jobs over uploaded files."""
