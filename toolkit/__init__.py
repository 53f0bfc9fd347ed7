"""xxgk-toolkit: the 政府信息公开工作年度报告 (2021 national format) from template to district summary."""

from toolkit.spec import FormSpec, SpecError, load_spec

__version__ = "0.1.0"
__all__ = ["FormSpec", "SpecError", "__version__", "load_spec"]
