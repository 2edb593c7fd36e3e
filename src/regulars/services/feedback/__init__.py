"""Feedback and questions: rating a visit (from the message's signed link or the customer
page), the console's figures and answers, and the FAQ edited per language."""
