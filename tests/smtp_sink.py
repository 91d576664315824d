"""The SMTP sink the tests use lives with the soak that uses it too."""

from pipeline.benchmark.smtp_sink import Received, SmtpSink

__all__ = ["Received", "SmtpSink"]
