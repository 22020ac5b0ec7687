"""The demo portfolio loaded by `python manage.py seed_demo`: people, initiatives, outcome trees."""
