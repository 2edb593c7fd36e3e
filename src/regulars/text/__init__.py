"""Text in the reader's language: gettext catalogs, their upkeep, explanation wording."""
