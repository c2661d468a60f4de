#pragma once
inline const char* greeting() { return "greeting v1"; }
