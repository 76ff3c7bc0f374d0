"""The staff's side of the gateway: merchants' pages under /merchant and the support console under
/support, each a Sanic blueprint, both signed in through one door (`door.py`)."""
