"""Why the operating system refused a file, in a clerk's words.

``OSError.strerror`` is the C library's English ("Permission denied", "Is a directory"); every
message the toolkit prints names the reason with :func:`os_reason` instead, so no English from the
system reaches a person. An error number without a wording here is named by its number."""

from __future__ import annotations

import errno

__all__ = ["os_reason"]

_WORDS = {
    errno.ENOENT: "文件或文件夹不存在",
    errno.EACCES: "没有权限（文件可能正在 Excel/WPS 中打开，或没有读写权限）",
    errno.EPERM: "没有权限（文件可能正在 Excel/WPS 中打开，或没有读写权限）",
    errno.EISDIR: "这是文件夹，不是文件",
    errno.ENOTDIR: "路径中有同名的文件，不是文件夹",
    errno.ENAMETOOLONG: "文件名或路径过长",
    errno.ELOOP: "快捷方式（符号链接）互相指向，形成循环",
    errno.EIO: "磁盘读写出错（磁盘或网络盘可能有故障）",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "只读的磁盘",
    errno.EMFILE: "同时打开的文件过多",
    errno.ENFILE: "同时打开的文件过多",
    errno.EBUSY: "文件正被其他程序使用",
    errno.EEXIST: "已有同名的文件",
    errno.EINVAL: "文件名或参数无效",
    errno.ENXIO: "设备不存在或未连接",
    errno.ENODEV: "设备不存在或未连接",
    errno.EFBIG: "文件过大",
    errno.ETIMEDOUT: "网络盘连接超时",
    errno.EPIPE: "输出已被关闭（接收输出的程序已提前退出）",
}
for _name, _words in (
    ("EDQUOT", "磁盘配额已满"),
    ("ETXTBSY", "文件正被其他程序使用"),
    ("ESTALE", "网络盘上的文件已失效，请重新打开"),
):
    if hasattr(errno, _name):
        _WORDS[getattr(errno, _name)] = _words


def os_reason(exc: BaseException, **instead: str) -> str:
    """The reason ``exc`` (an OSError) gives, in Chinese; ``instead`` overrides a wording by the
    errno's name for one place (``EEXIST="路径中有同名的文件，无法建立文件夹"``)."""
    code = getattr(exc, "errno", None)
    if code is None:
        return "系统错误"
    name = errno.errorcode.get(code, "")
    if name in instead:
        return instead[name]
    return _WORDS.get(code) or f"系统错误（错误号 {code}）"
