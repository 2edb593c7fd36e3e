"""Feedback and questions: ratings of visits (one per receipt) and the FAQ entries."""
