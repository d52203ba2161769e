"""The phases of one simulation step, one module each.

Their order is :data:`fentanet.simulate.loop.PHASES`.

Each module has ``run(sim)``; some have ``init(sim)`` for what they set up once.
"""
