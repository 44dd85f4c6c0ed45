"""Running the crawler over time: the scheduler (``monitor schedule``) and the source probe
(``monitor sources probe``)."""
