"""Log lines sized for an operator: a dropped article is one line naming why, not a dump."""

from scrapy.logformatter import LogFormatter


class MonitorLogFormatter(LogFormatter):
    def dropped(self, item, exception, response, spider):
        entry = super().dropped(item, exception, response, spider)
        entry["msg"] = "Dropped: %(exception)s"
        return entry
