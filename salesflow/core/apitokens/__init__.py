"""Personal API tokens: a user makes, names and revokes their own keys to the REST API.

models.py holds the token (only a SHA-256 hash of its secret), services.py creates, revokes
and checks one, authentication.py and throttling.py plug it into Django REST framework,
views.py, forms.py and urls.py are the page under the user's menu.
"""
