"""The contact flow (R-TEAM → R-REDIRECT → R-AREA → assistant or methods → form → confirmation).

steps.py      the question pages: team, redirect question, areas, after the area, Discover,
              the method picker, Account Services, the confirmation
contact.py    the contact forms: email, phone callback, conference call, and the fallback
common.py     what every step needs: the member, the area, routing's offers
"""
