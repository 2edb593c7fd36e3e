"""Feedback and questions: a member's rating of a visit, and the business's FAQ."""
