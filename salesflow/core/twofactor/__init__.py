"""Two-factor sign-in: an authenticator app (TOTP) with recovery codes, on django-otp.

services.py enrols, checks codes, regenerates recovery codes and turns it off; access.py
says who must use it; middleware.py sends a session that has not passed the second step
(or a user who must enrol) to the right page; views.py, forms.py and urls.py are the pages.
"""
