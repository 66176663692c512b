"""Quick polls: questions, ballots (one per user, anonymous by keyed hash), deadlines and results."""
