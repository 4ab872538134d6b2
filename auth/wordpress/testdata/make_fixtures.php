<?php
/**
 * Writes fixtures.json for the Go tests of auth/wordpress, with WordPress's
 * own functions from Debian's wordpress package: wp_hash_password (phpass),
 * wp_generate_auth_cookie and WP_Session_Tokens (the modern cookie and its
 * session_tokens meta value, serialized by PHP's serialize as
 * update_user_meta does). Run it with make_fixtures.sh.
 *
 * Debian 12's WordPress is 6.1, older than 6.8: the "$wp$" hash is made
 * here with WordPress 6.8's wp_hash_password algorithm
 * ('$wp' . password_hash(base64_encode(hash_hmac('sha384', trim($password),
 * 'wp-sha384', true)), PASSWORD_BCRYPT)), and plain "$2y$" with PHP's
 * password_hash, as plugins write it. The legacy three-part cookie of
 * WordPress before 4.0 is computed with WordPress's wp_hash, following the
 * pre-4.0 wp_generate_auth_cookie.
 *
 * No database is needed: the user meta functions WP_Session_Tokens calls
 * are replaced by an in-memory array before pluggable.php is loaded.
 */

$wp = getenv('WP_DIR') ?: '/usr/share/wordpress';
define('ABSPATH', rtrim($wp, '/') . '/');
define('WPINC', 'wp-includes');
define('LOGGED_IN_KEY', 'k3y-for-meerkat-tests|with "quotes" and \'apostrophes\'');
define('LOGGED_IN_SALT', 'sa1t-for-meerkat-tests <&> $dollar');
$_SERVER['REMOTE_ADDR'] = '127.0.0.1';
$_SERVER['HTTP_USER_AGENT'] = 'meerkat-fixtures';

require ABSPATH . WPINC . '/plugin.php';
require ABSPATH . WPINC . '/formatting.php';
require ABSPATH . WPINC . '/class-wp-session-tokens.php';
require ABSPATH . WPINC . '/class-wp-user-meta-session-tokens.php';

$USERS = array();
$META = array();

function get_userdata($id) { global $USERS; return isset($USERS[$id]) ? $USERS[$id] : false; }
function get_user_meta($id, $key = '', $single = false) {
	global $META;
	$v = isset($META[$id][$key]) ? unserialize($META[$id][$key]) : '';
	return $single ? $v : array($v);
}
function update_user_meta($id, $key, $value) { global $META; $META[$id][$key] = serialize($value); return true; }
function delete_user_meta($id, $key) { global $META; unset($META[$id][$key]); return true; }
function get_site_option($name, $default = false) { return $default; }
function update_site_option($name, $value) { return true; }
function is_ssl() { return false; }
function __($text, $domain = 'default') { return $text; }
function absint($n) { return abs((int) $n); }

require ABSPATH . WPINC . '/pluggable.php';

function wp68_hash_password($password) {
	$pre = base64_encode(hash_hmac('sha384', trim($password), 'wp-sha384', true));
	return '$wp' . password_hash($pre, PASSWORD_BCRYPT, array('cost' => 10));
}

// legacy_cookie is wp_generate_auth_cookie of WordPress 2.8 to 3.9.
function legacy_cookie($user, $expiration) {
	$pass_frag = substr($user->user_pass, 8, 4);
	$key = wp_hash($user->user_login . $pass_frag . '|' . $expiration, 'logged_in');
	$hash = hash_hmac('md5', $user->user_login . '|' . $expiration, $key);
	return $user->user_login . '|' . $expiration . '|' . $hash;
}

$valid = 2000000000;   // 2033-05-18
$expired = 1700000000; // 2023-11-14
$out = array(
	'wordpress' => $GLOBALS['wp_version'] ?? '',
	'logged_in_key' => LOGGED_IN_KEY,
	'logged_in_salt' => LOGGED_IN_SALT,
	'users' => array(),
	'cookies' => array(),
);
include ABSPATH . WPINC . '/version.php';
$out['wordpress'] = $wp_version;

$specs = array(
	array(1, 'alice', 'wonderland', 'phpass'),
	array(2, 'bob smith', 'B0b&builder"pass', 'bcrypt'),
	array(3, 'Carol@Example', 'spaced pässword', 'wp68'),
	array(4, 'dave', 'not-used-for-cookies', 'phpass'),
);
foreach ($specs as $s) {
	list($id, $login, $password, $kind) = $s;
	switch ($kind) {
	case 'phpass': $hash = wp_hash_password($password); break;
	case 'bcrypt': $hash = password_hash($password, PASSWORD_BCRYPT, array('cost' => 10)); break;
	case 'wp68': $hash = wp68_hash_password($password); break;
	}
	$u = new stdClass();
	$u->ID = $id;
	$u->user_login = $login;
	$u->user_pass = $hash;
	$USERS[$id] = $u;
	$out['users'][] = array('id' => $id, 'login' => $login, 'password' => $password, 'kind' => $kind, 'user_pass' => $hash);
}

function cookie_case($name, $user_id, $value, $expiration, $legacy, $valid_for) {
	return array('name' => $name, 'user_id' => $user_id, 'value' => $value, 'expiration' => $expiration,
		'legacy' => $legacy, 'valid_for' => $valid_for);
}
foreach (array(1, 2, 3) as $id) {
	$u = $USERS[$id];
	$out['cookies'][] = cookie_case('modern', $id, wp_generate_auth_cookie($id, $valid, 'logged_in'), $valid, false, $u->user_login);
	$out['cookies'][] = cookie_case('legacy', $id, legacy_cookie($u, $valid), $valid, true, $u->user_login);
}
$out['cookies'][] = cookie_case('modern expired', 1, wp_generate_auth_cookie(1, $expired, 'logged_in'), $expired, false, '');
$out['cookies'][] = cookie_case('legacy expired', 1, legacy_cookie($USERS[1], $expired), $expired, true, '');
// A cookie whose session was destroyed (logged out): the signature is
// right, the token is gone from session_tokens.
$gone = wp_generate_auth_cookie(1, $valid, 'logged_in');
$parts = explode('|', $gone);
WP_Session_Tokens::get_instance(1)->destroy($parts[2]);
$out['cookies'][] = cookie_case('modern logged out', 1, $gone, $valid, false, '');

$out['usermeta'] = array();
foreach ($META as $id => $metas) {
	foreach ($metas as $key => $value) {
		$out['usermeta'][] = array('user_id' => $id, 'meta_key' => $key, 'meta_value' => $value);
	}
}
echo json_encode($out, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";
