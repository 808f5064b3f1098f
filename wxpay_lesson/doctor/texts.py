"""English and Simplified Chinese text for the callback doctor's causes and reports.

Cause codes, sub-cause codes, step names and error codes stay English in both
languages. No text here may contain a key, a plaintext or a body: the templates take
only lengths, seconds, header names, serials and the names of repairs.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..i18n import normalize_language

# The plain explanation of each cause, with the fix.
CAUSES: dict[str, dict[str, str]] = {
    "HEADER_MISSING": {
        "en": "A Wechatpay-* header is missing or empty. Check that no proxy or gateway drops "
              "Wechatpay-* headers and that the code looks header names up without regard to case.",
        "zh-CN": "缺少 Wechatpay-* 请求头或其值为空。请检查代理或网关没有丢弃 Wechatpay-* 请求头，"
                 "并且代码按不区分大小写的方式读取请求头。",
    },
    "HEADER_MALFORMED": {
        "en": "A Wechatpay-* header has an invalid format. Pass the header values exactly as received, "
              "without trimming, re-encoding or mapping one header to another.",
        "zh-CN": "Wechatpay-* 请求头的格式无效。请原样传入收到的请求头值，不要截断、重新编码或把一个请求头当成另一个。",
    },
    "HEADERS_SWAPPED": {
        "en": "Two Wechatpay-* header values were swapped before verification. Read each value "
              "from the header of the same name.",
        "zh-CN": "验签前两个 Wechatpay-* 请求头的值被互换了。请从同名请求头读取每个值。",
    },
    "SIGNATURE_TYPE_UNSUPPORTED": {
        "en": "Wechatpay-Signature-Type names a scheme other than WECHATPAY2-SHA256-RSA2048, "
              "which this kit does not verify.",
        "zh-CN": "Wechatpay-Signature-Type 不是 WECHATPAY2-SHA256-RSA2048，本套件不支持验证该签名方式。",
    },
    "TIMESTAMP_OUT_OF_WINDOW": {
        "en": "Wechatpay-Timestamp is too far from the verifying clock. Either the server clock "
              "is wrong (check NTP) or the notification was replayed after it was captured.",
        "zh-CN": "Wechatpay-Timestamp 与验签时钟相差过大：服务器时间不准（请检查 NTP），或者通知在捕获后被重放。",
    },
    "SERIAL_UNKNOWN": {
        "en": "Wechatpay-Serial names no loaded platform certificate or WeChat Pay public key, "
              "so the signature cannot be checked.",
        "zh-CN": "Wechatpay-Serial 对应的平台证书或微信支付公钥未加载，因此无法验证签名。",
    },
    "SERIAL_KEY_MISMATCH": {
        "en": "The signature verifies with a loaded key that is registered under another serial. "
              "Register that key under the Wechatpay-Serial value it belongs to.",
        "zh-CN": "签名可以用已加载的另一个密钥验证通过，但该密钥登记在其他序列号下。请把它登记到正确的 Wechatpay-Serial 下。",
    },
    "KEY_CONFIG_INVALID": {
        "en": "An entry of the loaded keys cannot be used, so it was left out.",
        "zh-CN": "已配置的某个密钥条目无法使用，已被忽略。",
    },
    "SIGNATURE_PROBE": {
        "en": "This is WeChat Pay's signature probe: the signature starts with WECHATPAY/SIGNTEST/ "
              "on purpose. Nothing needs fixing. Reply with the normal failure status, never with "
              "success; WeChat Pay then sends the notification again with a valid signature.",
        "zh-CN": "这是微信支付的签名探测流量：签名故意以 WECHATPAY/SIGNTEST/ 开头。无需修复，"
                 "按验签失败正常应答即可，切勿应答成功；微信支付随后会用有效签名重新发送通知。",
    },
    "BODY_EMPTY": {
        "en": "The body is empty, so the signed message cannot match. The request body was most "
              "likely read (consumed) by earlier code or middleware. Read the body once, as bytes, "
              "and pass those same bytes to the verifier and to any JSON parsing.",
        "zh-CN": "请求体为空，签名不可能匹配。请求体很可能已被前面的代码或中间件读取（消费）。"
                 "请只读取一次原始字节，并把同一份字节同时用于验签和 JSON 解析。",
    },
    "BODY_EXTRA_BYTES": {
        "en": "The body carries bytes that WeChat Pay did not send: a byte order mark (BOM) at the "
              "start or a newline or whitespace at the end. Pass the raw request body without "
              "adding or stripping anything.",
        "zh-CN": "请求体中有微信支付并未发送的字节：开头的字节顺序标记（BOM），或结尾的换行或空白。"
                 "请原样传入原始请求体，不要增删任何字节。",
    },
    "BODY_CHARSET_CHANGED": {
        "en": "The body was decoded or re-encoded with the wrong charset, which changes the bytes of "
              "Chinese text such as the summary. WeChat Pay sends UTF-8: verify the raw bytes and "
              "never decode the body before verification.",
        "zh-CN": "请求体被用错误的字符集解码或重新编码，改变了中文（如 summary）的字节。微信支付发送 UTF-8："
                 "请对原始字节验签，验签前不要解码请求体。",
    },
    "BODY_RESERIALIZED": {
        "en": "The body was parsed as JSON and serialised again before verification, so its bytes "
              "differ from those WeChat Pay signed. Verify the raw request body bytes (for example "
              "request.body in Django, request.get_data() in Flask), not a dict or an object "
              "turned back into JSON.",
        "zh-CN": "请求体在验签前被解析成 JSON 又重新序列化，字节已与微信支付签名时不同。请对原始请求体字节验签"
                 "（如 Django 的 request.body、Flask 的 request.get_data()），不要用解析后的对象重新生成 JSON。",
    },
    "ASSOCIATED_DATA_CHANGED": {
        "en": "resource.associated_data was changed: the resource decrypts only with another "
              "associated_data value. Pass resource.associated_data exactly as received; it is "
              "authenticated by AES-GCM.",
        "zh-CN": "resource.associated_data 被改动：只有换成另一个 associated_data 值才能解密。"
                 "请原样使用收到的 resource.associated_data，AES-GCM 会对它做认证。",
    },
    "SIGNATURE_MISMATCH": {
        "en": "The signature does not match, and no tested repair of the body or headers makes it "
              "match. The body may have been changed in a way the doctor cannot undo, the key "
              "loaded under this serial may be the wrong one, or the request is forged.",
        "zh-CN": "签名不匹配，且对请求体或请求头的各种修复尝试都无法使其匹配。可能是请求体被以无法还原的方式改动、"
                 "该序列号下加载了错误的密钥，或请求是伪造的。",
    },
    "ENVELOPE_MALFORMED": {
        "en": "The body is not the notification envelope WeChat Pay sends (UTF-8 JSON with id, "
              "create_time, event_type, resource_type and resource).",
        "zh-CN": "请求体不是微信支付发送的通知结构（包含 id、create_time、event_type、resource_type 和 resource 的 UTF-8 JSON）。",
    },
    "ALGORITHM_UNSUPPORTED": {
        "en": "resource.algorithm is not AEAD_AES_256_GCM, the only algorithm this kit decrypts.",
        "zh-CN": "resource.algorithm 不是 AEAD_AES_256_GCM，本套件只支持该算法。",
    },
    "APIV3_KEY_LENGTH": {
        "en": "The APIv3 key does not have 32 bytes, so AES-256-GCM cannot use it. Copy the APIv3 "
              "key set under API安全 in the merchant platform, without surrounding whitespace.",
        "zh-CN": "APIv3 密钥不是 32 字节，AES-256-GCM 无法使用。请从商户平台“API安全”复制 APIv3 密钥，不要带首尾空白。",
    },
    "APIV3_KEY_WRONG": {
        "en": "The APIv3 key has 32 bytes but is not the key that encrypted this resource. Set the "
              "APIv3 key currently configured under API安全 in the merchant platform; it is a "
              "different secret from the APIv2 key.",
        "zh-CN": "APIv3 密钥长度为 32 字节，但不是加密该资源的密钥。请使用商户平台“API安全”中当前设置的 APIv3 密钥；"
                 "它与 APIv2 密钥是不同的密钥。",
    },
    "CIPHERTEXT_DAMAGED": {
        "en": "resource.ciphertext or resource.nonce is damaged: not base64, truncated, or of the "
              "wrong length. Store and pass the body without truncating it.",
        "zh-CN": "resource.ciphertext 或 resource.nonce 已损坏：不是 base64、被截断或长度错误。请完整保存并传入请求体。",
    },
    "PLAINTEXT_MALFORMED": {
        "en": "The resource decrypts, but the plaintext is not the JSON object expected for this event type.",
        "zh-CN": "资源可以解密，但明文不是该事件类型应有的 JSON 对象。",
    },
    "CAPTURE_VERIFIES": {
        "en": "The capture verifies with these keys: the bytes your server received are fine. If "
              "your own code rejects the same request, look at how it builds the signed message: "
              "it must be Wechatpay-Timestamp, LF, Wechatpay-Nonce, LF, the raw body, LF, in that "
              "order, with LF line endings (not CRLF), the final LF included, and the timestamp "
              "taken from the header rather than the server clock.",
        "zh-CN": "该捕获用这些密钥可以验证通过：服务器收到的字节没有问题。如果你自己的代码拒绝了同一请求，"
                 "请检查它构造待签名串的方式：必须依次为 Wechatpay-Timestamp、换行、Wechatpay-Nonce、换行、"
                 "原始请求体、换行；换行用 LF 而非 CRLF，包括最后一个 LF；时间戳取自请求头而不是服务器时钟。",
    },
    "CALLER_MESSAGE_WRONG": {
        "en": "The signed message your code built differs from the one WeChat Pay signed.",
        "zh-CN": "你的代码构造的待签名串与微信支付签名时的不同。",
    },
}

# A more specific reason under a cause code.
SUBCAUSES: dict[str, dict[str, str]] = {
    "PUBLIC_KEY_MODE": {
        "en": "The serial is a WeChat Pay public-key id (PUB_KEY_ID_...) but no public key is loaded "
              "under it: this merchant receives callbacks in public-key mode. Load the WeChat Pay "
              "public key from API安全 under this id, and keep the platform certificates during the "
              "switch-over, when callbacks arrive signed both ways.",
        "zh-CN": "该序列号是微信支付公钥 ID（PUB_KEY_ID_...），但没有加载对应的公钥：该商户以公钥模式接收回调。"
                 "请从“API安全”下载微信支付公钥并以该 ID 加载；切换期间两种签名都会出现，请同时保留平台证书。",
    },
    "CERTIFICATE_MODE": {
        "en": "The serial is a platform certificate serial, but only WeChat Pay public keys are loaded. "
              "Download the platform certificates (GET /v3/certificates) and load them by serial as well.",
        "zh-CN": "该序列号是平台证书序列号，但只加载了微信支付公钥。请下载平台证书（GET /v3/certificates）并按序列号一并加载。",
    },
    "MERCHANT_CERTIFICATE": {
        "en": "A loaded certificate is the merchant's own API certificate. Callbacks are signed by "
              "WeChat Pay, so load the WeChat Pay platform certificate or public key instead.",
        "zh-CN": "加载的某个证书是商户自己的 API 证书。回调由微信支付签名，请改为加载微信支付平台证书或微信支付公钥。",
    },
    "DECIMAL_SERIAL": {
        "en": "A key is registered under the certificate serial written in decimal. WeChat Pay sends "
              "serials in upper-case hex: register the key under format(serial_number, 'X').",
        "zh-CN": "某个密钥以十进制形式的证书序列号登记。微信支付发送的是大写十六进制序列号：请用 format(serial_number, 'X') 登记。",
    },
    "NOT_LOADED": {
        "en": "The key is simply not loaded. After a platform certificate rotation the new serial "
              "appears: download the platform certificates again and keep the old ones too.",
        "zh-CN": "对应密钥没有加载。平台证书轮换后会出现新序列号：请重新下载平台证书，并保留旧证书。",
    },
    "CLOCK_SKEW": {
        "en": "The offset is small enough to be a wrong server clock. Synchronise the clock with NTP.",
        "zh-CN": "偏差较小，可能是服务器时间不准。请用 NTP 同步时钟。",
    },
    "OLD_CAPTURE": {
        "en": "The timestamp is more than an hour old: the notification is being replayed or "
              "re-sent from a log. To diagnose the other steps of an old capture, pass its "
              "timestamp as the current time (--now).",
        "zh-CN": "时间戳已超过一小时：通知正被重放或从日志中重新发送。要诊断旧捕获的其他步骤，"
                 "请把它的时间戳作为当前时间传入（--now）。",
    },
    "KEY_WHITESPACE": {
        "en": "Without its surrounding whitespace the key has 32 bytes and decrypts the resource: "
              "strip the newline read from the key file.",
        "zh-CN": "去掉首尾空白后，密钥为 32 字节且可以解密资源：请去掉从密钥文件读到的换行符。",
    },
    "LOOKS_LIKE_APIV2_KEY": {
        "en": "The key is 32 lower-case hex characters, the usual form of an APIv2 key. The APIv2 "
              "and APIv3 keys are set separately in the merchant platform.",
        "zh-CN": "该密钥是 32 位小写十六进制字符，这是 APIv2 密钥的常见形式。APIv2 密钥和 APIv3 密钥在商户平台分别设置。",
    },
    "MERCHANT_KEY": {
        "en": "The key loaded under this serial is the merchant's own API key, not WeChat Pay's.",
        "zh-CN": "该序列号下加载的是商户自己的 API 密钥，而不是微信支付的。",
    },
    "MESSAGE_CRLF": {
        "en": "It uses CRLF line endings; WeChat Pay signs with LF only.",
        "zh-CN": "它使用了 CRLF 换行；微信支付只使用 LF。",
    },
    "MESSAGE_NO_FINAL_NEWLINE": {
        "en": "It lacks the final LF after the body.",
        "zh-CN": "它缺少请求体之后的最后一个 LF。",
    },
    "MESSAGE_FIELD_ORDER": {
        "en": "It has the three lines in the wrong order; the order is timestamp, nonce, body.",
        "zh-CN": "三行的顺序错误；正确顺序为时间戳、随机串、请求体。",
    },
    "MESSAGE_BODY_TWICE": {
        "en": "It contains the body twice.",
        "zh-CN": "它包含了两次请求体。",
    },
    "MESSAGE_TIMESTAMP_DIFFERS": {
        "en": "Its timestamp line differs from Wechatpay-Timestamp: take the value from the header, "
              "not from the server clock.",
        "zh-CN": "它的时间戳行与 Wechatpay-Timestamp 不同：请取请求头中的值，而不是服务器时钟。",
    },
    "MESSAGE_NONCE_DIFFERS": {
        "en": "Its nonce line differs from Wechatpay-Nonce: take the header value, not resource.nonce.",
        "zh-CN": "它的随机串行与 Wechatpay-Nonce 不同：请取请求头中的值，而不是 resource.nonce。",
    },
    "MESSAGE_BODY_DIFFERS": {
        "en": "Its body differs from the raw request body.",
        "zh-CN": "其中的请求体与原始请求体不同。",
    },
    "MESSAGE_MATCHES": {
        "en": "It matches byte for byte, so the fault is elsewhere: check the key your code "
              "verifies with.",
        "zh-CN": "它逐字节一致，问题在别处：请检查你的代码用于验签的密钥。",
    },
}

# Evidence sentences that support a cause. `{...}` fields come from Cause.params.
EVIDENCE: dict[str, dict[str, str]] = {
    "REPAIR_VERIFIES": {
        "en": "Checked: the signature verifies after this repair: {repair}.",
        "zh-CN": "已验证：做如下修复后签名验证通过：{repair}。",
    },
    "REPAIR_VERIFIES_WITH_SIGNS": {
        "en": "Found in the body: {signs}. Checked: the signature verifies after this repair: {repair}.",
        "zh-CN": "在请求体中发现：{signs}。已验证：做如下修复后签名验证通过：{repair}。",
    },
    "HEADER_PAIR_VERIFIES": {
        "en": "Checked: with {first} and {second} swapped back, the signature verifies.",
        "zh-CN": "已验证：把 {first} 和 {second} 换回后，签名验证通过。",
    },
    "AAD_DECRYPTS": {
        "en": "Checked: the resource decrypts with associated_data {original!r} instead of {found!r}.",
        "zh-CN": "已验证：把 associated_data 由 {found!r} 换成 {original!r} 后资源可以解密。",
    },
    "AAD_DECRYPTS_AND_VERIFIES": {
        "en": "Checked: the resource decrypts with associated_data {original!r} instead of "
              "{found!r}, and with that value restored the signature verifies.",
        "zh-CN": "已验证：把 associated_data 由 {found!r} 换成 {original!r} 后资源可以解密，且恢复该值后签名验证通过。",
    },
    "OTHER_KEY_VERIFIES": {
        "en": "Checked: the key loaded under {other} verifies the signature sent with serial {serial}.",
        "zh-CN": "已验证：序列号 {other} 下加载的密钥可以验证以序列号 {serial} 发送的签名。",
    },
    "SERIAL_IS_DECIMAL": {
        "en": "Checked: the loaded serial {loaded} is the decimal form of {serial}.",
        "zh-CN": "已验证：加载的序列号 {loaded} 是 {serial} 的十进制形式。",
    },
    "KEY_LOADED_AS": {
        "en": "Loaded: {kinds}; Wechatpay-Serial is {serial}.",
        "zh-CN": "已加载：{kinds}；Wechatpay-Serial 为 {serial}。",
    },
    "MERCHANT_CERTIFICATE_LOADED": {
        "en": "Checked: the certificate loaded under {loaded} is the merchant's API certificate.",
        "zh-CN": "已验证：序列号 {loaded} 下加载的证书是商户 API 证书。",
    },
    "SKEW": {
        "en": "Wechatpay-Timestamp is {seconds} s {direction} the verifying clock; the limit is {limit} s.",
        "zh-CN": "Wechatpay-Timestamp 比验签时钟{direction} {seconds} 秒；上限为 {limit} 秒。",
    },
    "BODY_SIGNS": {
        "en": "Found in the body: {signs}.",
        "zh-CN": "在请求体中发现：{signs}。",
    },
    "BODY_LENGTH_ZERO": {
        "en": "The body has {length} bytes of content.",
        "zh-CN": "请求体有效内容为 {length} 字节。",
    },
    "KEY_LENGTH": {
        "en": "The key given has {length} bytes.",
        "zh-CN": "提供的密钥为 {length} 字节。",
    },
    "DECRYPTION_FAILS": {
        "en": "Checked: decryption fails with the key given and with every associated_data value tried{signed}.",
        "zh-CN": "已验证：用提供的密钥和所有尝试过的 associated_data 值都无法解密{signed}。",
    },
    "ERROR_MESSAGE": {
        "en": "{message}",
        "zh-CN": "{message}",
    },
    "HEADER_NAMED": {
        "en": "Header: {header}.",
        "zh-CN": "请求头：{header}。",
    },
    "NOTHING_REPAIRS": {
        "en": "Checked: none of {count} repairs of the body and headers makes the signature verify.",
        "zh-CN": "已验证：对请求体和请求头的 {count} 种修复都无法使签名验证通过。",
    },
    "PREFIX": {
        "en": "Wechatpay-Signature starts with WECHATPAY/SIGNTEST/.",
        "zh-CN": "Wechatpay-Signature 以 WECHATPAY/SIGNTEST/ 开头。",
    },
}

# Words that are filled into evidence templates.
WORDS: dict[str, dict[str, str]] = {
    "in the past": {"en": "behind", "zh-CN": "早"},
    "in the future": {"en": "ahead of", "zh-CN": "晚"},
    "when the signature verified": {"en": ", and the signature verified, so the ciphertext is what WeChat Pay sent",
                                    "zh-CN": "，且签名已验证通过，说明密文确为微信支付所发"},
    "": {"en": "", "zh-CN": ""},
}

# Names of repairs and of signs in the body; the keys are also the English text.
REPAIRS: dict[str, str] = {
    "remove the UTF-8 byte order mark": "去掉 UTF-8 字节顺序标记",
    "remove the trailing newline": "去掉结尾换行",
    "remove the surrounding whitespace": "去掉首尾空白",
    "undo a Latin-1 decoding": "撤销按 Latin-1 解码造成的改动",
    "undo a Windows-1252 decoding": "撤销按 Windows-1252 解码造成的改动",
    "undo a GBK re-encoding": "撤销 GBK 重新编码",
    "undo a GB18030 re-encoding": "撤销 GB18030 重新编码",
    "serialise compactly as UTF-8": "以紧凑格式和 UTF-8 重新序列化",
    "put the keys in WeChat Pay's order": "按微信支付的字段顺序排列",
    "restore the missing summary": "补回缺失的 summary",
    "restore snake_case key names": "恢复 snake_case 字段名",
    "restore associated_data": "恢复 associated_data",
    "spaces or newlines between JSON tokens": "JSON 记号之间的空格或换行",
    "\\uXXXX escapes where WeChat Pay sends UTF-8 text": "微信支付本应发送 UTF-8 文本处的 \\uXXXX 转义",
    "keys in an order unlike WeChat Pay's": "与微信支付不同的字段顺序",
    "a missing summary field": "缺少 summary 字段",
    "camelCase key names": "camelCase 字段名",
    "a UTF-8 byte order mark at the start": "开头的 UTF-8 字节顺序标记",
    "whitespace after the JSON": "JSON 之后的空白",
    "bytes that are not valid UTF-8": "无效的 UTF-8 字节",
    "U+FFFD replacement characters": "U+FFFD 替换字符",
    "mojibake typical of UTF-8 read as Latin-1": "UTF-8 被按 Latin-1 读取时典型的乱码",
    "platform certificates": "平台证书",
    "WeChat Pay public keys": "微信支付公钥",
    "no keys": "无密钥",
}

STATUS_WORDS: dict[str, dict[str, str]] = {
    "passed": {"en": "passed", "zh-CN": "通过"},
    "failed": {"en": "failed", "zh-CN": "失败"},
    "skipped": {"en": "skipped", "zh-CN": "跳过"},
}

# Reasons for skipping a step.
SKIP_REASONS: dict[str, dict[str, str]] = {
    "NEEDS_STEP": {
        "en": "skipped: needs the {step} step to pass first",
        "zh-CN": "已跳过：需要先通过 {step} 步骤",
    },
    "NO_API_V3_KEY": {
        "en": "skipped: no APIv3 key was given",
        "zh-CN": "已跳过：未提供 APIv3 密钥",
    },
}

# Details of a passed step worth showing.
STEP_NOTES: dict[str, dict[str, str]] = {
    "WITHIN_WINDOW": {
        "en": "{seconds} s {direction} the verifying clock, within {limit} s",
        "zh-CN": "比验签时钟{direction} {seconds} 秒，在 {limit} 秒以内",
    },
}

REPORT_WORDS: dict[str, dict[str, str]] = {
    "verifies": {"en": "The capture verifies.", "zh-CN": "该捕获验证通过。"},
    "fails": {"en": "The capture does not verify: the {step} step fails.",
              "zh-CN": "该捕获未通过验证：{step} 步骤失败。"},
    "incomplete": {"en": "Every step that ran passed, but some were skipped.",
                   "zh-CN": "已运行的步骤都通过了，但有步骤被跳过。"},
    "steps": {"en": "Steps:", "zh-CN": "步骤："},
    "causes": {"en": "Causes, most likely first:", "zh-CN": "可能原因（按可能性排序）："},
    "verified": {"en": "verified", "zh-CN": "已验证"},
    "observed": {"en": "observed", "zh-CN": "已观察到"},
    "likely": {"en": "likely", "zh-CN": "可能"},
    "plaintext": {"en": "Decrypted resource (shown because --show-plaintext was given):",
                  "zh-CN": "解密后的资源（因指定了 --show-plaintext 而显示）："},
}


def pick(table: Mapping[str, Mapping[str, str]], key: str, lang: str | None) -> str:
    """Return the text for `key` in the language, or the key itself when it has none."""
    texts = table.get(key)
    if texts is None:
        return key
    return texts[normalize_language(lang)]


def repair_name(name: str, lang: str | None) -> str:
    """Return the name of a repair or a sign in the language (English names are the keys)."""
    if normalize_language(lang) == "zh-CN":
        return REPAIRS.get(name, name)
    return name
