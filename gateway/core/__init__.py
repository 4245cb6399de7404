"""The core: events, time, the bus, the config base, the site, alerts and modes as values,
and the seams (repositories, health) that the other layers implement or report to.

It imports nothing else of ours; everything else may import it."""
